import { describe, expect, it } from 'vitest';
import { Xoshiro128 } from '../data/prng.js';
import { nucleus } from './nucleus.js';

/** The definition, by sorting: most likely first, earlier token first at ties; the shortest prefix with mass ≥ want. */
function reference(p: Float64Array, topP: number): Set<number> {
  const total = p.reduce((a, b) => a + b, 0);
  const order = Array.from(p.keys()).sort((a, b) => p[b]! - p[a]! || a - b);
  const kept = new Set<number>();
  let mass = 0;
  for (const j of order) {
    if (mass >= topP * total) break;
    kept.add(j);
    mass += p[j]!;
  }
  return kept;
}

function run(p: Float64Array, topP: number): { ids: number[]; mass: number } {
  const keep = Int32Array.from(p.keys(), (j) => 1000 + j); // token ids differ from positions
  const q = Float64Array.from(p);
  const total = p.reduce((a, b) => a + b, 0);
  const [n, mass] = nucleus(keep, q, p.length, total, topP);
  return { ids: Array.from(keep.subarray(0, n), (t) => t - 1000), mass };
}

describe('nucleus (top-p by selection)', () => {
  it('keeps the same tokens as sorting would, in vocabulary order, on flat, peaked and tied distributions', () => {
    const rng = Xoshiro128.fromSeed(3);
    const shapes: Record<string, (i: number) => number> = {
      flat: () => Math.exp(rng.nextFloat() * 0.5),
      peaked: () => Math.exp(-8 * rng.nextFloat() * rng.nextFloat() * 10),
      ties: () => [1, 0.5, 0.25][Math.floor(rng.nextFloat() * 3)]!,
      zipf: (i) => 1 / (1 + i),
    };
    for (const [name, draw] of Object.entries(shapes))
      for (const n of [1, 2, 7, 100, 8192])
        for (const topP of [0.01, 0.3, 0.5, 0.9, 0.999]) {
          const p = Float64Array.from({ length: n }, (_, i) => draw(i));
          const got = run(p, topP);
          const want = reference(p, topP);
          expect(new Set(got.ids), `${name} n=${n} topP=${topP}`).toEqual(want);
          expect(got.ids).toEqual([...got.ids].sort((a, b) => a - b));
          expect(got.mass).toBeCloseTo([...want].reduce((a, j) => a + p[j]!, 0), 9);
        }
  });

});
