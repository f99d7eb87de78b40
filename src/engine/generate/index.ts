/** Generation: the KV-cache decoder graph, batched decoding, continuous batching, sampling. */
export { buildDecoderGraph, llamaDecoderForward, DECODER_IO, type DecoderGraph, type DecoderGraphOptions, type DecoderForwardOptions, type DecoderInputs, type DecoderOutputs, type LinearFactory } from './decoder-graph.js';
export { Decoder, emitDecoderModel, emitWithWeights, llamaWeights, type DecoderCall, type DecoderOptions, type DecoderWeights } from './decoder.js';
export { KvCache, COLUMN_CHUNK } from './kv-cache.js';
export { buildStepGraph, STEP_IO } from './step-graph.js';
export { StepDecoder, type StepCall, type StepDecoderOptions, type StepResult, type GreedyStepResult } from './step-decoder.js';
export { BatchDecoder } from './batch-decoder.js';
export { GenerationEngine, type GenerationEngineOptions } from './engine.js';
export { generateOptionsSchema, parseGenerateOptions, type GenerateOptions, type GenerateOptionsInput } from './options.js';
export { Sampler, argmax, logSumExp, topIndices, type TokenChoice, type TokenLogprob } from './sampler.js';
export { StopFilter, type Detokenize } from './stop.js';
export { GenerationStream, type FinishReason, type GeneratedToken, type GenerationResult } from './token-stream.js';
