/**
 * Top-p (nucleus) truncation: keeps the smallest set of most likely tokens whose mass is ≥ topP of the
 * total, ties at the cut going to earlier tokens. The cut is found by a selection on the mass (a
 * quickselect with three-way partitions: O(n) expected) among the probabilities that can be in the
 * nucleus, not by sorting them: on a flat distribution that is most of the vocabulary, and sorting it with
 * a comparator took ~2.3 ms per row of 8,192 (~74 ms for a batch-32 step's rows). Kept tokens stay in
 * vocabulary order; the draw over them is uniform in mass, so their order does not change the distribution.
 */

/** Scratch for the selection, shared: sampling is synchronous, one row at a time. */
let scratch = new Float64Array(0);

/**
 * Compacts the n kept tokens (ids in `keep`, unnormalized probabilities in `p`, mass `total`) to the
 * nucleus, in place and in their order; returns the new count and mass.
 */
export function nucleus(keep: Int32Array, p: Float64Array, n: number, total: number, topP: number): [number, number] {
  const want = topP * total;
  // Only probabilities ≥ thr can be in the nucleus, where thr (the top one over a power of 4) is the first
  // whose values already hold the mass: on a peaked distribution that leaves a few candidates to select among.
  let thr = 0;
  for (let j = 0; j < n; j++) if (p[j]! > thr) thr = p[j]!;
  for (;;) {
    thr /= 4;
    let mass = 0;
    for (let j = 0; j < n; j++) mass += p[j]! >= thr ? p[j]! : 0; // a select, not a branch: flat rows mispredict
    if (mass >= want || thr < 1e-300) break;
  }
  if (scratch.length < n) scratch = new Float64Array(n);
  let candidates = 0;
  for (let j = 0; j < n; j++) if (p[j]! >= thr) scratch[candidates++] = p[j]!;
  const { cut, ties } = massCut(scratch, candidates, want);
  let m = 0;
  let mass = 0;
  let tiesLeft = ties;
  for (let j = 0; j < n; j++) {
    const pj = p[j]!;
    if (pj > cut || (pj === cut && tiesLeft-- > 0)) {
      keep[m] = keep[j]!;
      mass += p[m++] = pj;
    }
  }
  return [m, mass];
}

/**
 * The value `cut` and the count `ties` such that the values above cut plus `ties` values equal to it are
 * the fewest largest values with sum ≥ want. Reorders v[0, n).
 */
function massCut(v: Float64Array, n: number, want: number): { cut: number; ties: number } {
  let lo = 0;
  let hi = n;
  let above = 0; // mass of values known to be in the nucleus (all larger than what is left in [lo, hi))
  while (hi > lo) {
    const pivot = medianOf3(v[lo]!, v[(lo + hi) >>> 1]!, v[hi - 1]!);
    // Three-way partition of [lo, hi): > pivot in [lo, gt), == pivot in [gt, lt), < pivot in [lt, hi).
    let gt = lo;
    let i = lo;
    let lt = hi;
    let greater = 0;
    while (i < lt) {
      const x = v[i]!;
      if (x > pivot) {
        v[i++] = v[gt]!;
        v[gt++] = x;
        greater += x;
      } else if (x < pivot) {
        v[i] = v[--lt]!;
        v[lt] = x;
      } else i++;
    }
    if (above + greater >= want) {
      hi = gt; // the cut lies among the larger values
      continue;
    }
    const equal = lt - gt;
    if (above + greater + equal * pivot >= want) {
      let ties = 0;
      let mass = above + greater;
      while (mass < want && ties < equal) (mass += pivot), ties++;
      return { cut: pivot, ties };
    }
    above += greater + equal * pivot;
    lo = lt; // all of these are in; look among the smaller ones
  }
  // Rounding left the sum a hair short of `want`: every value is in.
  return { cut: -Infinity, ties: 0 };
}

function medianOf3(a: number, b: number, c: number): number {
  return a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
}
