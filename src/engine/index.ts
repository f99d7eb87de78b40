/**
 * Crucible's ML engine: tensor graphs with reverse-mode autodiff, emitted as ONNX and run by ONNX
 * Runtime; Llama-style models, AdamW, data and file formats. Imports nothing from the rest of src/.
 */
export * from './graph/index.js';
export * from './onnx/index.js';
export * from './nn/index.js';
export * from './optim/index.js';
export * as data from './data/index.js';
export * as formats from './formats/index.js';
export * as generate from './generate/index.js';
export * as perf from './perf/index.js';
export * as quantize from './quantize/index.js';
export * from './train/index.js';
