/**
 * Seeded sampling of (input, target) training windows from token shards, resumable from a cursor.
 *
 * Each row of a batch is a window of T + 1 consecutive tokens at a uniformly random start (with
 * replacement, as nanoGPT does): inputs are its first T tokens, targets its last T (inputs shifted by one).
 * Windows never cross a shard boundary; a shard shorter than T + 1 tokens contributes none. Starts are
 * drawn over all shards at once, so a shard is sampled in proportion to its windows.
 *
 * The cursor is everything needed to continue the exact same sequence of batches: the PRNG state and
 * counters, plus each shard's name and size so a resume against different data fails loudly.
 */
import { basename } from 'node:path';
import { z } from 'zod';
import { Xoshiro128, type PrngState } from './prng.js';
import type { TokenShardReader } from './token-shard-reader.js';

/** One batch, row-major [B, T]; targets[i] is the token after inputs[i]. */
export interface TokenBatch {
  inputs: Int32Array; // [B*T]
  targets: Int32Array; // [B*T]
}

/** Where a sampler stands; JSON-serializable, stored in checkpoints. */
export interface SamplerCursor {
  version: 1;
  seed: number;
  step: number; // batches drawn so far
  epoch: number; // floor(tokensServed / total tokens): how many passes' worth of tokens were served
  tokensServed: number; // target tokens served so far (B·T per batch)
  rngState: PrngState;
  shards: Array<{ name: string; tokenCount: number }>;
}

const count = z.number().int().min(0);
const uint32 = z.number().int().min(0).max(2 ** 32 - 1);

/** Validates a cursor read back from a checkpoint's JSON. */
export const samplerCursorSchema = z
  .object({
    version: z.literal(1),
    seed: count,
    step: count,
    epoch: count,
    tokensServed: count,
    rngState: z.tuple([uint32, uint32, uint32, uint32]),
    shards: z.array(z.object({ name: z.string(), tokenCount: count }).strict()),
  })
  .strict();

export class BatchSampler {
  private readonly rng: Xoshiro128;
  private readonly totalTokens: number;
  private step = 0;
  private tokensServed = 0;
  private starts: { seqLen: number; cumulative: number[] } | undefined;

  private constructor(
    private readonly shards: readonly TokenShardReader[],
    private readonly seed: number,
    rng: Xoshiro128,
  ) {
    if (shards.length === 0) throw new Error('BatchSampler needs at least one token shard');
    this.rng = rng;
    this.totalTokens = shards.reduce((n, s) => n + s.tokenCount, 0);
  }

  /** A sampler at the start of the stream for a seed. Same shards + same seed ⇒ same batches. */
  static create(shards: readonly TokenShardReader[], options: { seed: number }): BatchSampler {
    return new BatchSampler(shards, options.seed, Xoshiro128.fromSeed(options.seed));
  }

  /** A sampler that continues exactly where the one that produced `cursor` stood. */
  static resume(shards: readonly TokenShardReader[], saved: SamplerCursor): BatchSampler {
    const parsed = samplerCursorSchema.safeParse(saved);
    if (!parsed.success) {
      throw new Error(`Cannot resume: the sampler cursor is malformed (${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')})`);
    }
    const cursor: SamplerCursor = parsed.data;
    const expected = cursor.shards.map((s) => `${s.name} (${s.tokenCount} tokens)`).join(', ');
    const actual = describeShards(shards).map((s) => `${s.name} (${s.tokenCount} tokens)`).join(', ');
    if (expected !== actual) {
      throw new Error(`Cannot resume: the cursor was saved for shards [${expected}] but the sampler was given [${actual}]; pass the same shards in the same order`);
    }
    const sampler = new BatchSampler(shards, cursor.seed, Xoshiro128.fromState(cursor.rngState));
    sampler.step = cursor.step;
    sampler.tokensServed = cursor.tokensServed;
    return sampler;
  }

  /** The cursor to store in a checkpoint: resuming from it yields the batches this sampler would yield next. */
  cursor(): SamplerCursor {
    return {
      version: 1,
      seed: this.seed,
      step: this.step,
      epoch: Math.floor(this.tokensServed / this.totalTokens),
      tokensServed: this.tokensServed,
      rngState: this.rng.state(),
      shards: describeShards(this.shards),
    };
  }

  /** Draws B random windows of T tokens (plus the next token for the targets). */
  nextBatch(B: number, T: number): TokenBatch {
    if (!Number.isInteger(B) || B <= 0 || !Number.isInteger(T) || T <= 0) {
      throw new Error(`nextBatch: B and T must be positive integers, got B=${B}, T=${T}`);
    }
    const cumulative = this.startCounts(T);
    const total = cumulative[cumulative.length - 1]!;
    const inputs = new Int32Array(B * T);
    const targets = new Int32Array(B * T);
    for (let row = 0; row < B; row++) {
      const r = this.rng.nextBelow(total);
      const shard = upperBound(cumulative, r); // first shard whose cumulative count exceeds r
      const start = r - (shard === 0 ? 0 : cumulative[shard - 1]!);
      const window = this.shards[shard]!.read(start, T + 1); // [T+1]
      inputs.set(window.subarray(0, T), row * T);
      targets.set(window.subarray(1), row * T);
    }
    this.step += 1;
    this.tokensServed += B * T;
    return { inputs, targets };
  }

  /** Cumulative number of valid window starts per shard for this T (a shard of n tokens has n − T). */
  private startCounts(T: number): number[] {
    if (this.starts?.seqLen === T) return this.starts.cumulative;
    let sum = 0;
    const cumulative = this.shards.map((s) => (sum += Math.max(0, s.tokenCount - T)));
    if (sum === 0) {
      const longest = Math.max(...this.shards.map((s) => s.tokenCount));
      throw new Error(`No shard holds a window of T + 1 = ${T + 1} tokens (the longest has ${longest}); use a shorter sequence length or more data`);
    }
    this.starts = { seqLen: T, cumulative };
    return cumulative;
  }
}

function describeShards(shards: readonly TokenShardReader[]): Array<{ name: string; tokenCount: number }> {
  return shards.map((s) => ({ name: basename(s.path), tokenCount: s.tokenCount }));
}

/** Index of the first element of a non-decreasing array greater than x. */
function upperBound(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
