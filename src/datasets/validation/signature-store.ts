/**
 * Compact storage of every record's MinHash signature as b-bit values (Li & König 2010). The
 * bins the LSH bands read keep their lowest 8 bits (1 byte each), so that a band key recomputed
 * from them still has 8 bits per row; the other bins, read only to verify a candidate pair, keep
 * 4 bits (two per byte). Two different values then agree by chance with probability 1/256 or
 * 1/16, which the estimator removes bin by bin:
 *
 *   Ĵ = [ (equal bytes − B/256)/(1 − 1/256) + (equal nibbles − R/16)/(1 − 1/16) ] / K
 *
 * for B keyed bins and R = K − B others. It stays unbiased; at K = 128, B = 45 its spread on the
 * test pairs is 0.039 against 0.038 with 8 bits everywhere, for 87 bytes per record instead of 128.
 * Stored in chunks of 64Ki records so growth never copies the whole store.
 */
import { fmix32 } from './hash32.js';

const CHUNK_RECORDS = 1 << 16;
const CHANCE8 = 1 / 256;
const CHANCE4 = 1 / 16;

export class SignatureStore {
  private readonly chunks: Uint8Array[] = [];
  /** Bytes per record: keyBins bytes, then the other bins two to a byte. */
  private readonly stride: number;
  private readonly rest: number;
  size = 0;

  /** @param keyBins the leading bins that band keys read (bands × rows), kept at 8 bits */
  constructor(
    readonly numPerm: number,
    private readonly keyBins: number = numPerm,
  ) {
    this.rest = numPerm - keyBins;
    this.stride = keyBins + Math.ceil(this.rest / 2);
  }

  /** Append a signature; returns its position. */
  add(signature: Uint32Array): number {
    const at = this.size;
    const chunk = at >>> 16;
    if (chunk === this.chunks.length) this.chunks.push(new Uint8Array(CHUNK_RECORDS * this.stride));
    const dst = this.chunks[chunk]!;
    const base = (at & (CHUNK_RECORDS - 1)) * this.stride;
    const B = this.keyBins;
    for (let i = 0; i < B; i++) dst[base + i] = signature[i]! & 0xff;
    for (let j = 0; j < this.rest; j += 2) {
      const lo = signature[B + j]! & 0xf;
      const hi = j + 1 < this.rest ? signature[B + j + 1]! & 0xf : 0;
      dst[base + B + (j >>> 1)] = lo | (hi << 4);
    }
    this.size++;
    return at;
  }

  /** Estimated Jaccard between the stored signatures at positions a and b. */
  similarity(a: number, b: number): number {
    const S = this.stride;
    const B = this.keyBins;
    const ca = this.chunks[a >>> 16]!;
    const cb = this.chunks[b >>> 16]!;
    const ba = (a & (CHUNK_RECORDS - 1)) * S;
    const bb = (b & (CHUNK_RECORDS - 1)) * S;
    let equal8 = 0;
    for (let i = 0; i < B; i++) if (ca[ba + i] === cb[bb + i]) equal8++;
    let equal4 = 0;
    for (let i = B; i < S; i++) {
      const x = ca[ba + i]! ^ cb[bb + i]!;
      if ((x & 0xf) === 0) equal4++;
      if ((x & 0xf0) === 0) equal4++;
    }
    // An odd count of 4-bit bins leaves an empty high nibble in the last byte: always equal.
    if (this.rest % 2 === 1) equal4--;
    const keyed = B === 0 ? 0 : (equal8 - B * CHANCE8) / (1 - CHANCE8);
    const others = this.rest === 0 ? 0 : (equal4 - this.rest * CHANCE4) / (1 - CHANCE4);
    return (keyed + others) / this.numPerm;
  }

  /**
   * 32-bit key of band `band` (rows `band·rows … band·rows + rows − 1`, all within the 8-bit
   * bins) of the stored signature at `pos`. Keys come from the stored bytes, so a bucket table can
   * recompute the key of any record it holds instead of storing it.
   */
  bandKey(pos: number, band: number, rows: number, seed: number): number {
    const chunk = this.chunks[pos >>> 16]!;
    const start = (pos & (CHUNK_RECORDS - 1)) * this.stride + band * rows;
    let h = Math.imul(band + 1, 0x9e3779b1) ^ seed;
    for (let i = start; i < start + rows; i++) h = (Math.imul(h ^ chunk[i]!, 0x85ebca6b) + 0xc2b2ae35) | 0;
    return fmix32(h);
  }

  /** Bytes held. */
  get bytes(): number {
    return this.chunks.length * CHUNK_RECORDS * this.stride;
  }
}
