/**
 * Locality-sensitive hashing by banding: the signature is cut into b bands of r rows; two records
 * become candidates when all rows of at least one band agree, which happens with probability
 *
 *   P(candidate | Jaccard s) = 1 − (1 − s^r)^b          (the S-curve; its midpoint is ≈ (1/b)^(1/r))
 *
 * Candidates are then verified on the full signature, so the banding only has to be generous:
 * `chooseBanding` puts the S-curve's steep part below the threshold, so that pairs at the
 * threshold are candidates with probability ≥ 0.97 (e.g. 0.8 → b = 12, r = 6: P(0.8) = 0.974,
 * P(0.85) = 0.997, P(0.9) ≈ 1, while pairs at s = 0.4 become candidates 4.8% of the time and
 * unrelated texts, s ≈ 0, essentially never).
 */
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
export function chooseBanding(threshold: number, numPerm: number, recallAtThreshold = 0.97, maxBands = 12): Banding {
  let best: Banding = { bands: Math.min(maxBands, numPerm), rows: 1 };
  for (let rows = 1; rows <= numPerm; rows++) {
    const bands = Math.ceil(Math.log(1 - recallAtThreshold) / Math.log(1 - threshold ** rows));
    if (!Number.isFinite(bands) || bands > maxBands || bands * rows > numPerm) continue;
    best = { bands, rows };
  }
  return best;
}

/** 32-bit key of band `band` of a signature; the band index is mixed in so bands share one table. */
export function bandKey(signature: Uint32Array, band: number, rows: number, seed: number): number {
  let h = Math.imul(band + 1, 0x9e3779b1) ^ seed;
  const start = band * rows;
  for (let i = start; i < start + rows; i++) h = Math.imul(h ^ signature[i]!, 0x85ebca6b) + 0xc2b2ae35 | 0;
  return fmix32(h);
}
