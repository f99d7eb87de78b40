/**
 * Sequential evaluation batches that cover shards exactly once, in order, with no randomness.
 *
 * A shard of n tokens has n − 1 targets (every token after the first). Windows step by T: window k has
 * inputs tokens[kT .. kT+T) and targets tokens[kT+1 .. kT+T], so every target is scored exactly once. The
 * last window of a shard is padded where the shard runs out: inputs with `padToken`, targets with
 * `ignoreIndex`, which the loss skips. Rows from consecutive shards share a batch; the last batch has
 * fewer rows unless `padBatch` pads it to B with fully ignored rows (for a graph with a fixed batch size).
 */
import type { TokenBatch } from './batch-sampler.js';
import type { TokenShardReader } from './token-shard-reader.js';

/** A batch of evaluation windows. `rows` are real rows; `targetCount` counts targets ≠ ignoreIndex. */
export interface EvalBatch extends TokenBatch {
  rows: number;
  targetCount: number;
}

export interface EvalBatchOptions {
  batch: number; // B
  seqLen: number; // T
  ignoreIndex?: number; // default -100 (the PyTorch convention)
  padToken?: number; // default 0
  padBatch?: boolean; // pad the last batch to B rows; default false
}

/** Yields batches covering every target of the shards once. */
export function* evalBatches(shards: readonly TokenShardReader[], options: EvalBatchOptions): Generator<EvalBatch> {
  const { batch: B, seqLen: T, ignoreIndex = -100, padToken = 0, padBatch = false } = options;
  if (!Number.isInteger(B) || B <= 0 || !Number.isInteger(T) || T <= 0) {
    throw new Error(`evalBatches: batch and seqLen must be positive integers, got batch=${B}, seqLen=${T}`);
  }
  let inputs = new Int32Array(B * T);
  let targets = new Int32Array(B * T);
  let row = 0;
  let targetCount = 0;
  const take = (rows: number): EvalBatch => {
    const size = (padBatch ? B : rows) * T;
    const out = { inputs: inputs.subarray(0, size), targets: targets.subarray(0, size), rows, targetCount };
    inputs = new Int32Array(B * T);
    targets = new Int32Array(B * T);
    row = 0;
    targetCount = 0;
    return out;
  };

  for (const shard of shards) {
    for (let start = 0; start + 1 < shard.tokenCount; start += T) {
      const available = Math.min(T + 1, shard.tokenCount - start); // tokens of this window inside the shard
      const window = shard.read(start, available);
      const at = row * T;
      inputs.set(window.subarray(0, Math.min(T, available)), at);
      targets.set(window.subarray(1), at);
      inputs.fill(padToken, at + Math.min(T, available), at + T);
      targets.fill(ignoreIndex, at + available - 1, at + T);
      targetCount += available - 1;
      row += 1;
      if (row === B) yield take(B);
    }
  }
  if (row > 0) {
    const rows = row;
    inputs.fill(padToken, rows * T);
    targets.fill(ignoreIndex, rows * T);
    yield take(rows);
  }
}
