export { rmsNorm, rmsNormReference } from './norm.js';
export { applyRope, ropeTables, type RopeTables } from './rope.js';
export { causalAttention, causalAttentionReference } from './attention.js';
export { swiglu } from './mlp.js';
export { crossEntropy, crossEntropyReference } from './loss.js';
export {
  declareLlamaParams, initLlamaParams, llamaForward, llamaLoss, llamaParamSpecs, plainLinear, LLAMA_LINEARS,
  type LinearFn, type LlamaForwardOptions, type LlamaParams, type ParamSpec,
} from './llama.js';
export * from './presets.js';
export * from './presets-memory.js';
