/**
 * Locality-sensitive hashing by banding: the signature is cut into b bands of r rows; two records
 * become candidates when all rows of at least one band agree, which happens with probability
 *
 *   P(candidate | Jaccard s) = 1 − (1 − s^r)^b          (the S-curve; its midpoint is ≈ (1/b)^(1/r))
 *
 * Candidates are then verified on the signature, so the banding only has to be generous:
 * `chooseBanding` puts the S-curve's steep part below the threshold, so that pairs at the
 * threshold are candidates with probability ≥ 0.97 (e.g. 0.8 → b = 5, r = 3: P(0.8) = 0.972,
 * P(0.85) = 0.991, P(0.9) = 0.999, while pairs at s = 0.5 become candidates 49% of the time, at
 * s = 0.3 13%, and unrelated texts, s ≈ 0, essentially never). Bands are capped at 6 because each
 * costs ≈ 10 bytes per record (a bucket slot and the key), while a chance candidate costs one
 * comparison of two 32-byte signatures.
 */
import { ChunkedWords } from './chunked-words.js';
import { fmix32 } from './hash32.js';

export interface Banding {
  bands: number;
  rows: number;
}

/** Probability that a pair with Jaccard `s` shares at least one band. */
export function candidateProbability(s: number, { bands, rows }: Banding): number {
  return 1 - (1 - s ** rows) ** bands;
}

/**
 * Bands × rows for a Jaccard threshold: the most rows (fewest chance candidates) whose needed
 * band count, for P(candidate | threshold) ≥ `recallAtThreshold`, stays within `maxBands` and
 * `numPerm`. Bands cost memory (one table entry per band per record), hence the cap.
 */
export function chooseBanding(threshold: number, numPerm: number, recallAtThreshold = 0.97, maxBands = 6): Banding {
  let best: Banding = { bands: Math.min(maxBands, numPerm), rows: 1 };
  for (let rows = 1; rows <= numPerm; rows++) {
    const bands = Math.ceil(Math.log(1 - recallAtThreshold) / Math.log(1 - threshold ** rows));
    if (!Number.isFinite(bands) || bands > maxBands || bands * rows > numPerm) continue;
    best = { bands, rows };
  }
  return best;
}

/** Records a band table can hold: positions are stored in 24 bits (beside an 8-bit key tag). */
export const MAX_BAND_POSITIONS = (1 << 24) - 2;

/**
 * The 32-bit key of band `band` of a full signature: a hash of its `rows` whole 32-bit minimums
 * (rows band·rows … band·rows + rows − 1), so that two records share it by chance with
 * probability 2^−32 rather than 2^−(rows·b) of a key made from stored b-bit values.
 */
export function bandKey(signature: Uint32Array, band: number, rows: number, seed: number): number {
  let h = Math.imul(band + 1, 0x9e3779b1) ^ seed;
  const start = band * rows;
  for (let i = start; i < start + rows; i++) h = (Math.imul(h ^ signature[i]!, 0x85ebca6b) + 0xc2b2ae35) | 0;
  return fmix32(h);
}

const EMPTY = 0;

/**
 * One band's buckets: an open-addressing multimap from band key to the records that hold it (a
 * key's holders sit on its probe sequence). Each slot is one 32-bit word: the record position + 1
 * (24 bits) and an 8-bit tag of the key; a column beside it keeps the whole key of each record,
 * which confirms a tag match and rehashes on growth. About 4 + 6–11 bytes per record at the
 * table's load, against 16+ for a key/value table.
 */
export class BandTable {
  private slots: Uint32Array;
  private mask: number;
  private readonly keys = new ChunkedWords(1);
  /** The empty slot where the last `holdersOf` scan ended. */
  private end = 0;
  size = 0;

  constructor(initialCapacity = 1 << 12) {
    const cap = 1 << Math.ceil(Math.log2(Math.max(16, initialCapacity)));
    this.slots = new Uint32Array(cap);
    this.mask = cap - 1;
  }

  /**
   * The records holding `key` into `out` (at most its length); returns how many. `insert` right
   * after makes one more record a holder of the same key.
   */
  holdersOf(key: number, out: Int32Array): number {
    const tag = key >>> 24;
    let n = 0;
    let i = key & this.mask;
    for (; ; i = (i + 1) & this.mask) {
      const slot = this.slots[i]!;
      if (slot === EMPTY) break;
      if ((slot & 0xff) === tag) {
        const held = (slot >>> 8) - 1;
        if (n < out.length && this.keyOf(held) === key) out[n++] = held;
      }
    }
    this.end = i;
    return n;
  }

  /** Make `pos` one more holder of `key`; call it right after `holdersOf(key)`. */
  insert(key: number, pos: number): void {
    if (pos > MAX_BAND_POSITIONS) throw new Error(`a near-duplicate band table holds at most ${MAX_BAND_POSITIONS} records`);
    if ((this.size + 1) * 10 > (this.mask + 1) * 7) {
      this.grow();
      this.end = key & this.mask;
      while (this.slots[this.end] !== EMPTY) this.end = (this.end + 1) & this.mask;
    }
    this.slots[this.end] = (pos + 1) * 256 + (key >>> 24);
    this.setKey(pos, key);
    this.size++;
  }

  private keyOf(pos: number): number {
    return this.keys.chunk(pos)[this.keys.offset(pos)]!;
  }

  private setKey(pos: number, key: number): void {
    this.keys.chunkFor(pos)[this.keys.offset(pos)] = key;
  }

  /** Bytes held. */
  get bytes(): number {
    return this.slots.byteLength + this.keys.bytes;
  }

  private grow(): void {
    const old = this.slots;
    const cap = (this.mask + 1) * 2;
    this.slots = new Uint32Array(cap);
    this.mask = cap - 1;
    for (let i = 0; i < old.length; i++) {
      const slot = old[i]!;
      if (slot === EMPTY) continue;
      const key = this.keyOf((slot >>> 8) - 1);
      let j = key & this.mask;
      while (this.slots[j] !== EMPTY) j = (j + 1) & this.mask;
      this.slots[j] = slot;
    }
  }
}
