/**
 * Compact storage of every record's MinHash signature as b-bit values (Li & König 2010): only the
 * lowest 8 bits of each bin are kept, 1 byte per bin instead of 4. Two different bins then agree by
 * chance with probability 1/256, which the estimator removes:
 *
 *   Ĵ = (share of equal bytes − 1/256) / (1 − 1/256)
 *
 * Stored in chunks of 64Ki records so growth never copies the whole store.
 */
import { fmix32 } from './hash32.js';

const CHUNK_RECORDS = 1 << 16;
const CHANCE = 1 / 256;

export class SignatureStore {
  private readonly chunks: Uint8Array[] = [];
  size = 0;

  constructor(readonly numPerm: number) {}

  /** Append a signature; returns its position. */
  add(signature: Uint32Array): number {
    const at = this.size;
    const chunk = at >>> 16;
    if (chunk === this.chunks.length) this.chunks.push(new Uint8Array(CHUNK_RECORDS * this.numPerm));
    const dst = this.chunks[chunk]!;
    const base = (at & (CHUNK_RECORDS - 1)) * this.numPerm;
    for (let i = 0; i < this.numPerm; i++) dst[base + i] = signature[i]! & 0xff;
    this.size++;
    return at;
  }

  /** Estimated Jaccard between the stored signatures at positions a and b. */
  similarity(a: number, b: number): number {
    const K = this.numPerm;
    const ca = this.chunks[a >>> 16]!;
    const cb = this.chunks[b >>> 16]!;
    const ba = (a & (CHUNK_RECORDS - 1)) * K;
    const bb = (b & (CHUNK_RECORDS - 1)) * K;
    let equal = 0;
    for (let i = 0; i < K; i++) if (ca[ba + i] === cb[bb + i]) equal++;
    return (equal / K - CHANCE) / (1 - CHANCE);
  }

  /**
   * 32-bit key of band `band` (rows `band·rows … band·rows + rows − 1`) of the stored signature at
   * `pos`. Keys come from the stored bytes, so a bucket table can recompute the key of any record
   * it holds instead of storing it.
   */
  bandKey(pos: number, band: number, rows: number, seed: number): number {
    const chunk = this.chunks[pos >>> 16]!;
    const start = (pos & (CHUNK_RECORDS - 1)) * this.numPerm + band * rows;
    let h = Math.imul(band + 1, 0x9e3779b1) ^ seed;
    for (let i = start; i < start + rows; i++) h = (Math.imul(h ^ chunk[i]!, 0x85ebca6b) + 0xc2b2ae35) | 0;
    return fmix32(h);
  }

  /** Bytes held. */
  get bytes(): number {
    return this.chunks.length * CHUNK_RECORDS * this.numPerm;
  }
}
