/**
 * Locality-sensitive hashing by banding: the signature is cut into b bands of r rows; two records
 * become candidates when all rows of at least one band agree, which happens with probability
 *
 *   P(candidate | Jaccard s) = 1 − (1 − s^r)^b          (the S-curve; its midpoint is ≈ (1/b)^(1/r))
 *
 * Candidates are then verified on the full signature, so the banding only has to be generous:
 * `chooseBanding` puts the S-curve's steep part below the threshold, so that pairs at the
 * threshold are candidates with probability ≥ 0.97 (e.g. 0.8 → b = 9, r = 5: P(0.8) = 0.972,
 * P(0.85) = 0.995, P(0.9) ≈ 1, while pairs at s = 0.5 become candidates 25% of the time, at
 * s = 0.3 2%, and unrelated texts, s ≈ 0, essentially never). Bands are capped at 9 because each
 * costs a bucket slot per record (≈ 4–8 bytes), the largest memory item after the signature.
 */
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
export function chooseBanding(threshold: number, numPerm: number, recallAtThreshold = 0.97, maxBands = 9): Banding {
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

const EMPTY = 0;

/**
 * One band's buckets: an open-addressing table from band key to the record that represents it.
 * Each slot is one 32-bit word: the record position + 1 (24 bits) and an 8-bit tag of the key;
 * the full key of a held record is recomputed from the signature store when the tag matches.
 * About 6–11 bytes per distinct key at the table's load, against 16+ for a key/value table.
 */
export class BandTable {
  private slots: Uint32Array;
  private mask: number;
  size = 0;

  constructor(
    /** The band key of a held record, recomputed from its stored signature. */
    private readonly keyOf: (pos: number) => number,
    initialCapacity = 1 << 12,
  ) {
    const cap = 1 << Math.ceil(Math.log2(Math.max(16, initialCapacity)));
    this.slots = new Uint32Array(cap);
    this.mask = cap - 1;
  }

  /** The holder of `key`; when the key is new, `pos` becomes its holder and −1 is returned. */
  holderOrInsert(key: number, pos: number): number {
    return this.put(key, pos, false);
  }

  /** Make `pos` the holder of an existing or new `key`. */
  replace(key: number, pos: number): void {
    this.put(key, pos, true);
  }

  private put(key: number, pos: number, replace: boolean): number {
    if (pos > MAX_BAND_POSITIONS) throw new Error(`a near-duplicate band table holds at most ${MAX_BAND_POSITIONS} records`);
    if ((this.size + 1) * 10 > (this.mask + 1) * 7) this.grow();
    const tag = key >>> 24;
    const entry = (pos + 1) * 256 + tag;
    for (let i = key & this.mask; ; i = (i + 1) & this.mask) {
      const slot = this.slots[i]!;
      if (slot === EMPTY) {
        this.slots[i] = entry;
        this.size++;
        return -1;
      }
      if ((slot & 0xff) === tag) {
        const held = (slot >>> 8) - 1;
        if (this.keyOf(held) === key) {
          if (replace) this.slots[i] = entry;
          return held;
        }
      }
    }
  }

  /** Bytes held. */
  get bytes(): number {
    return this.slots.byteLength;
  }

  private grow(): void {
    const old = this.slots;
    const cap = (this.mask + 1) * 2;
    this.slots = new Uint32Array(cap);
    this.mask = cap - 1;
    this.size = 0;
    for (let i = 0; i < old.length; i++) {
      const slot = old[i]!;
      if (slot !== EMPTY) {
        const held = (slot >>> 8) - 1;
        this.put(this.keyOf(held), held, false);
      }
    }
  }
}
