/** File formats the engine reads and writes. */
export { FormatError, type FormatErrorCode } from './format-error.js';
export { bf16ToFloat32, f16ToFloat32, float32ToBf16, float32ToF16 } from './half.js';
export { readSafetensors, SafetensorsFile, writeSafetensors, type ReadTensorOptions, type SafetensorsTensor } from './safetensors.js';
export { DTYPES, isSafetensorsDtype, numel, type SafetensorsDtype, type TensorData } from './safetensors-dtypes.js';
export type { TensorEntry } from './safetensors-header.js';
export { PEFT_FILES, fromPeftTensors, loadPeftAdapter, peftAdapterConfig, peftTensorName, savePeftAdapter, toPeftTensors, writePeftFiles, type PeftAdapter } from './peft.js';
export { exportGguf, ggufTensorName, importGguf, type GgufExportOptions, type GgufExportResult, type GgufExportType, type ImportedGguf } from './gguf-llama.js';
export { GgufFile, type GgufTensorInfo } from './gguf-reader.js';
export { writeGguf, type GgufTensorToWrite } from './gguf-writer.js';
export { decodeGgml, encodeGgml } from './gguf-quant.js';
export { GGML_TYPES, GGUF_VERSION, type GgmlType, type GgufScalar, type GgufScalarType, type GgufValue } from './gguf-constants.js';
export { exportHfFolder, importHfFolder, type HfExportOptions, type ImportedHfFolder } from './hf-folder.js';
export { hfConfigJson, llamaConfigFromHf, type HfDtype } from './hf-config.js';
export { CHATML_TEMPLATE } from './hf-tokenizer-config.js';
export { buildByteLevelBpeTokenizer, parseTokenizerJson, resolveSpecialTokens, type SpecialTokenIds, type TokenizerVocab } from './tokenizer-json.js';
export { exportOnnx, loadOnnxDecoder, onnxInferenceModel, readOnnxExport, type OnnxExportOptions } from './onnx-export.js';
