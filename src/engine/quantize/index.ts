/** Weight-only int8 / int4 block quantization for inference (MatMulNBits), and quantized QLoRA bases. */
export { DEFAULT_BLOCK_SIZE, type BlockQuantOptions, type QuantBits, type QuantizedWeight, nbitsShapes, quantizeBlocks, quantizedWeightBytes } from './block-quant.js';
export { dequantizeBlocks } from './dequantize.js';
export { type QuantizedLinearOptions, quantizedFeeds, quantizedInputNames, quantizedLinear } from './quantized-linear.js';
export { type QuantizedLlama, denseLlamaParams, llamaLinearNames, quantizeLlama, quantizedLlamaBytes } from './quantize-llama.js';
export { type QuantizedBaseOptions, quantizedLoraBase } from './qlora-base.js';
export { QuantizedLossEvaluator, type QuantizedEvalOptions } from './quantized-eval.js';
