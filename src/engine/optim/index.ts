export { ADAMW_DEFAULTS, adamwUpdate, clipScale, globalNorm, type AdamWOptions, type AdamWState } from './adamw.js';
export {
  LlamaTrainStep, buildLlamaGradStep, buildLlamaTrainStep, buildLlamaUpdateStep, paramIo, paramLayout, paramViews, type ParamLayout, type MicroBatch, type OptimizerState, type StepResult, type StepShape,
} from './train-step.js';
export * from './schedule.js';
export { LORA_ADAMW_DEFAULTS, LoraTrainStep, buildLoraEvalLoss, buildLoraGradStep, buildLoraTrainStep, buildLoraUpdateStep, type LoraOptimizerState, type LoraTrainStepOptions } from './lora-train-step.js';
