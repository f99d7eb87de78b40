/** File formats the engine reads and writes. */
export { FormatError, type FormatErrorCode } from './format-error.js';
export { bf16ToFloat32, f16ToFloat32, float32ToBf16, float32ToF16 } from './half.js';
export { readSafetensors, SafetensorsFile, writeSafetensors, type ReadTensorOptions, type SafetensorsTensor } from './safetensors.js';
export { DTYPES, isSafetensorsDtype, numel, type SafetensorsDtype, type TensorData } from './safetensors-dtypes.js';
export type { TensorEntry } from './safetensors-header.js';
export { PEFT_FILES, fromPeftTensors, loadPeftAdapter, peftAdapterConfig, peftTensorName, savePeftAdapter, toPeftTensors, type PeftAdapter } from './peft.js';
export { exportOnnx, loadOnnxDecoder, onnxInferenceModel, readOnnxExport, type OnnxExportOptions } from './onnx-export.js';
