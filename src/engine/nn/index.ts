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
export {
  LORA_HF_MODULES, initLoraParams, loraAdapterViews, loraConfigSchema, loraLinear, loraNumParams, loraParamSpecs, loraScale, loraSpecSize, parseLoraConfig,
  type LoraAdapters, type LoraConfig, type LoraConfigInput, type LoraModule, type LoraParamSpec, type LoraTarget,
} from './lora.js';
export { baseInput, flatLlamaBase, type LoraBase } from './lora-base.js';
export { LoraDropoutMasks, declareLoraDropout, loraMaskInput } from './lora-dropout.js';
export { buildLoraMerge, mergeLora } from './lora-merge.js';
