import { describe, expect, it } from 'vitest';
import { fastExp } from './fast-exp.js';

describe('fastExp', () => {
  it('matches Math.exp to 5e-15 relative over the whole float64 range', () => {
    let worst = 0;
    const check = (y: number) => {
      const want = Math.exp(y);
      const got = fastExp(y);
      const err = want === 0 || want === Infinity ? (got === want ? 0 : 1) : Math.abs(got - want) / want;
      worst = Math.max(worst, err);
    };
    for (let i = 0; i <= 200_000; i++) check(-750 + (1460 * i) / 200_000); // −750 … 710, both ends' fallbacks included
    for (let i = 0; i < 100_000; i++) check(-Math.random() * 40); // where softmax of logits lives
    for (const y of [0, -0, 1e-300, -1e-300, Math.LN2, -Math.LN2 / 64, 708.9, -707.9]) check(y);
    expect(worst).toBeLessThan(5e-15);
  });

  it('is exact at 0, 0 for −∞ and NaN, ∞ for +∞', () => {
    expect(fastExp(0)).toBe(1);
    expect(fastExp(-Infinity)).toBe(0);
    expect(fastExp(Number.NaN)).toBe(0);
    expect(fastExp(Infinity)).toBe(Infinity);
    expect(fastExp(-800)).toBe(0);
  });
});
