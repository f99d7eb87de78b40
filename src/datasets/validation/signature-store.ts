/**
 * Every record's MinHash signature kept as b-bit values (Li & König 2010): the lowest `bits` bits
 * of each of the K bins, packed 32/b to a word. Two different minimums agree on them by chance
 * with probability C = 2^−b, which the estimator removes:
 *
 *   Ĵ = (equal/K − C) / (1 − C)        sd = √(P(1 − P)/K) / (1 − C),  P = J + (1 − J)·C
 *
 * At K = 128 and J = 0.8 that spread is 0.035 with whole values, 0.037 at 4 bits, 0.042 at 2
 * bits: K sets it, b adds little, while the store shrinks from 512 to 32 bytes per record at 2
 * bits. Comparing two records is a few XORs and popcounts over their words.
 */
import { ChunkedWords } from './chunked-words.js';

/** Bits kept per bin (decision 009): 32 bytes per record at K = 128. */
export const SIGNATURE_BITS = 2;

export class SignatureStore {
  private readonly words: ChunkedWords;
  private readonly chance: number;
  /** The lowest bit of every b-bit group of a word. */
  private readonly groupLowBits: number;
  size = 0;

  /** @param bits 1, 2, 4 or 8 bits per bin */
  constructor(
    readonly numPerm: number,
    readonly bits: number = SIGNATURE_BITS,
  ) {
    if (![1, 2, 4, 8].includes(bits)) throw new Error(`SignatureStore: bits must be 1, 2, 4 or 8, got ${bits}`);
    this.words = new ChunkedWords(Math.ceil((numPerm * bits) / 32));
    this.chance = 2 ** -bits;
    let low = 0;
    for (let i = 0; i < 32; i += bits) low |= 1 << i;
    this.groupLowBits = low >>> 0;
  }

  /** Append a signature (numPerm 32-bit bins); returns its position. */
  add(signature: Uint32Array): number {
    const at = this.size;
    const chunk = this.words.chunkFor(at);
    const base = this.words.offset(at);
    const { bits, numPerm } = this;
    const valueMask = (1 << bits) - 1;
    for (let i = 0; i < numPerm; i++) {
      const bit = i * bits;
      const w = base + (bit >>> 5);
      chunk[w] = chunk[w]! | ((signature[i]! & valueMask) << (bit & 31));
    }
    this.size++;
    return at;
  }

  /** Estimated Jaccard between the stored signatures at positions a and b. */
  similarity(a: number, b: number): number {
    const ca = this.words.chunk(a);
    const cb = this.words.chunk(b);
    const oa = this.words.offset(a);
    const ob = this.words.offset(b);
    const bits = this.bits;
    const low = this.groupLowBits;
    let differing = 0;
    for (let w = 0; w < this.words.stride; w++) {
      // Fold each b-bit group of the XOR onto its lowest bit: set where the bins differ. Unused
      // groups of the last word are zero in both records, so they never count.
      let x = ca[oa + w]! ^ cb[ob + w]!;
      if (bits >= 2) x |= x >>> 1;
      if (bits >= 4) x |= x >>> 2;
      if (bits >= 8) x |= x >>> 4;
      differing += popcount32(x & low);
    }
    const equalShare = (this.numPerm - differing) / this.numPerm;
    return (equalShare - this.chance) / (1 - this.chance);
  }

  /** Bytes held. */
  get bytes(): number {
    return this.words.bytes;
  }
}

function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}
