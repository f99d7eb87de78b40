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

/** Probe steps per bin computed ahead; sparser signatures fall back to computing more. */
const PRECOMPUTED_PROBES = 32;

export class MinHasher {
  private readonly filled: Uint8Array;
  /** probes[i·P + a]: the bin that empty bin i tries at attempt a+1 (the same for every record). */
  private readonly probes: Uint16Array;
  /** log₂ K when K is a power of two (bins by shifting), else −1. */
  private readonly log2K: number;

  constructor(
    readonly numPerm: number,
    private readonly seed: number,
  ) {
    this.filled = new Uint8Array(numPerm);
    this.log2K = Number.isInteger(Math.log2(numPerm)) ? Math.log2(numPerm) : -1;
    this.probes = new Uint16Array(numPerm * PRECOMPUTED_PROBES);
    for (let i = 0; i < numPerm; i++) {
      for (let a = 0; a < PRECOMPUTED_PROBES; a++) this.probes[i * PRECOMPUTED_PROBES + a] = this.probe(i, a + 1);
    }
  }

  private probe(bin: number, attempt: number): number {
    const h = fmix32(Math.imul(bin + 1, 0x9e3779b1) ^ Math.imul(attempt, 0x85ebca6b) ^ this.seed);
    return Math.floor((h * this.numPerm) / 4294967296);
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
    const seed = this.seed ^ 0x3c6ef372;
    // One hash per shingle: its top bits pick the bin, and the bits below them (independent of
    // the bin) are the value to minimize.
    if (this.log2K >= 0) {
      const shift = 32 - this.log2K;
      // The bits below the bin index, unshifted: their lowest bits stay uniform for the b-bit store.
      const mask = shift === 32 ? 0xffffffff : (1 << shift) - 1;
      for (let i = 0; i < n; i++) {
        const h = fmix32(s[i]! ^ seed);
        const bin = h >>> shift;
        const v = (h & mask) >>> 0;
        if (v <= out[bin]!) out[bin] = v;
        filled[bin] = 1;
      }
    } else {
      for (let i = 0; i < n; i++) {
        const h = fmix32(s[i]! ^ seed);
        const bin = Math.floor((h * K) / 4294967296);
        // Not h·K mod 2³²: for an even K its low bits are zero, and the b-bit store keeps those.
        const v = fmix32(h ^ 0x5bd1e995);
        if (v <= out[bin]!) out[bin] = v;
        filled[bin] = 1;
      }
    }
    this.densify(out);
    return true;
  }

  /** Optimal densification: an empty bin i copies bin probe(i, 0), probe(i, 1), … until one is filled. */
  private densify(out: Uint32Array): void {
    const K = this.numPerm;
    const filled = this.filled;
    const probes = this.probes;
    for (let i = 0; i < K; i++) {
      if (filled[i] === 1) continue;
      let found = -1;
      const base = i * PRECOMPUTED_PROBES;
      for (let a = 0; a < PRECOMPUTED_PROBES; a++) {
        const j = probes[base + a]!;
        if (filled[j] === 1) {
          found = j;
          break;
        }
      }
      for (let attempt = PRECOMPUTED_PROBES + 1; found < 0; attempt++) {
        const j = this.probe(i, attempt);
        if (filled[j] === 1) found = j;
      }
      out[i] = out[found]!;
    }
  }
}

/** Estimated Jaccard from two full signatures: the share of equal bins. */
export function estimateJaccard(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let equal = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) equal++;
  return equal / a.length;
}
