import { describe, expect, it } from 'vitest';
import { softmaxExp } from './fast-exp.js';

describe('softmaxExp', () => {
  it('matches Math.exp to 5e-10 relative for y ≤ 0, and exactly (Math.exp) outside its fast range', () => {
    let worst = 0;
    const check = (y: number) => {
      const want = Math.exp(y);
      const got = softmaxExp(y);
      const err = want === 0 || want === Infinity ? (got === want ? 0 : 1) : Math.abs(got - want) / want;
      worst = Math.max(worst, err);
    };
    for (let i = 0; i <= 200_000; i++) check(-750 + (760 * i) / 200_000); // −750 … 10, both fallbacks included
    for (let i = 0; i < 100_000; i++) check(-Math.random() * 40); // where softmax of logits lives
    for (const y of [0, -0, -1e-300, -Math.LN2 / 512, -Math.LN2 / 256, -700, -700.0001, 1e-300, 709]) check(y);
    expect(worst).toBeLessThan(5e-10);
  });

  it('is exact at 0, 0 for −∞ and NaN, ∞ for +∞', () => {
    expect(softmaxExp(0)).toBe(1);
    expect(softmaxExp(-Infinity)).toBe(0);
    expect(softmaxExp(Number.NaN)).toBe(0);
    expect(softmaxExp(Infinity)).toBe(Infinity);
    expect(softmaxExp(-800)).toBe(0);
  });
});
