/**
 * MinHash signatures by one-permutation hashing with optimal densification (Shrivastava 2017):
 * each shingle is hashed once into one of K bins and each bin keeps its minimum, instead of K
 * hash functions per shingle. That is O(S + K) per record instead of O(S·K), about 40× less work at
 * K = 128, and estimates Jaccard as the share of equal bins just as K-permutation MinHash does.
 * Empty bins (short texts) borrow the value of a non-empty bin chosen by a seeded probe sequence
 * shared by all records, which keeps the estimator unbiased.
 */
import { fmix32 } from './hash32.js';
import type { U32Buffer } from './shingles.js';

export class MinHasher {
  private readonly filled: Uint8Array;

  constructor(
    readonly numPerm: number,
    private readonly seed: number,
  ) {
    this.filled = new Uint8Array(numPerm);
  }

  /** Fill `out` (length numPerm) with the signature of the shingle set; false for an empty set. */
  signature(shingles: U32Buffer, out: Uint32Array): boolean {
    const K = this.numPerm;
    const n = shingles.length;
    if (n === 0) return false;
    const s = shingles.data;
    const filled = this.filled;
    filled.fill(0);
    out.fill(0xffffffff);
    const binSeed = this.seed ^ 0x3c6ef372;
    const valueSeed = this.seed ^ 0xa54ff53a;
    for (let i = 0; i < n; i++) {
      const x = s[i]!;
      const bin = ((fmix32(x ^ binSeed) >>> 16) * K) >>> 16;
      const v = fmix32(x ^ valueSeed);
      if (v <= out[bin]!) out[bin] = v;
      filled[bin] = 1;
    }
    this.densify(out);
    return true;
  }

  /** Optimal densification: an empty bin i copies bin probe(i, 0), probe(i, 1), … until one is filled. */
  private densify(out: Uint32Array): void {
    const K = this.numPerm;
    const filled = this.filled;
    for (let i = 0; i < K; i++) {
      if (filled[i] === 1) continue;
      for (let attempt = 1; ; attempt++) {
        const j = ((fmix32(Math.imul(i + 1, 0x9e3779b1) ^ Math.imul(attempt, 0x85ebca6b) ^ this.seed) >>> 16) * K) >>> 16;
        if (filled[j] === 1) {
          out[i] = out[j]!;
          break;
        }
      }
    }
  }
}

/** Estimated Jaccard from two full signatures: the share of equal bins. */
export function estimateJaccard(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let equal = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) equal++;
  return equal / a.length;
}
