export { ADAMW_DEFAULTS, adamwUpdate, clipScale, globalNorm, type AdamWOptions, type AdamWState } from './adamw.js';
export { LlamaTrainStep, buildLlamaGradStep, buildLlamaTrainStep, buildLlamaUpdateStep, type MicroBatch, type OptimizerState, type StepResult, type StepShape } from './train-step.js';
export * from './schedule.js';
