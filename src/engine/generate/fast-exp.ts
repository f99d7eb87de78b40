/**
 * exp(y) in float64 to ~3e-15 relative error, ~2.3× faster than Math.exp in V8 (33 against 77 µs for a
 * row of 8,192 logits, measured): sampling takes one exp per vocabulary entry per sequence per step,
 * which at batch 32 cost about as much as the decode step itself.
 *
 * y = k·ln2/32 + r with |r| ≤ ln2/64 (k rounded by the 1.5·2^52 trick, ln2/32 split in two parts so
 * k·ln2/32 is exact), exp(r) by its degree-5 Taylor polynomial (error < r^6/720 ≈ 2e-15), and
 * 2^(k/32) from two tables: 2^(j/32) for the low 5 bits of k and 2^n for the rest.
 */
const STEPS = 32;
const INV_STEP = STEPS / Math.LN2;
const STEP_HI = 0.693147180369123816490 / STEPS; // ln2/32 with the low bits cleared: k·STEP_HI is exact
const STEP_LO = 1.90821492927058770002e-10 / STEPS;
const ROUND = 6755399441055744; // 1.5·2^52: adding and subtracting it rounds to an integer
const FRACTION = Float64Array.from({ length: STEPS }, (_, j) => Math.pow(2, j / STEPS));
const POW2_MIN = -1023; // 2^n for n = −1023 … 1023: what k/32 spans for y in the fast range
const POW2 = Float64Array.from({ length: 2047 }, (_, i) => Math.pow(2, i + POW2_MIN));

/** exp(y). Outside [−708, 709] (near underflow and overflow) it is Math.exp; NaN gives 0 (a NaN logit gets no probability). */
export function fastExp(y: number): number {
  if (!(y >= -708 && y <= 709)) return y === y ? Math.exp(y) : 0;
  const k = y * INV_STEP + ROUND - ROUND;
  const ki = k | 0;
  const r = y - k * STEP_HI - k * STEP_LO;
  const poly = 1 + r * (1 + r * (0.5 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120)))));
  return FRACTION[ki & (STEPS - 1)]! * POW2[(ki >> 5) - POW2_MIN]! * poly;
}
