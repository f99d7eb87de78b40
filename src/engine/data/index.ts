/** Training data: token shard files, seeded batch sampling with a resumable cursor, evaluation batches. */
export { BatchSampler, samplerCursorSchema, type SamplerCursor, type TokenBatch } from './batch-sampler.js';
export { evalBatches, type EvalBatch, type EvalBatchOptions } from './eval-batches.js';
export { Xoshiro128, type PrngState } from './prng.js';
export { dtypeForVocab, TOKEN_SHARD_HEADER_BYTES, TOKEN_SHARD_MAGIC, TOKEN_SHARD_VERSION, type TokenDtype } from './token-shard-format.js';
export { TokenShardReader } from './token-shard-reader.js';
export { TokenShardWriter, writeTokenShard, type TokenShardInfo } from './token-shard-writer.js';
export { SFT_IGNORE_INDEX, sftBatch, sftBatches, type SftBatchOptions, type SftExample } from './sft.js';
