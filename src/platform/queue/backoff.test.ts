import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.js';

describe('backoffDelay', () => {
  const policy = { baseMs: 1_000, maxMs: 10_000, jitter: 0 };

  it('doubles per failed attempt and stops at the cap', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(policy, n))).toEqual([1_000, 2_000, 4_000, 8_000, 10_000, 10_000]);
  });

  it('jitter only shortens the delay, by at most its fraction', () => {
    const jittered = { ...policy, jitter: 0.25 };
    expect(backoffDelay(jittered, 3, () => 0)).toBe(4_000);
    expect(backoffDelay(jittered, 3, () => 0.999_999)).toBe(3_000);
    expect(backoffDelay(jittered, 9, () => 0.5)).toBe(8_750); // the cap, shortened
  });
});
