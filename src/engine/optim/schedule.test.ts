import { describe, expect, it } from 'vitest';
import { lrAt, lrScheduleSchema, type CosineSchedule } from './schedule.js';

const cosine: CosineSchedule = { lr: 1e-3, warmupSteps: 10, totalSteps: 110, minLr: 1e-4 };

describe('lrAt (warmup + cosine)', () => {
  it('warms up linearly and peaks at the last warmup step', () => {
    expect(lrAt(0, cosine)).toBeCloseTo(1e-4, 15);
    expect(lrAt(4, cosine)).toBeCloseTo(5e-4, 15);
    expect(lrAt(9, cosine)).toBeCloseTo(1e-3, 15);
  });

  it('starts the decay at lr, is halfway at the midpoint, ends at minLr and stays there', () => {
    expect(lrAt(10, cosine)).toBeCloseTo(1e-3, 15);
    expect(lrAt(60, cosine)).toBeCloseTo((1e-3 + 1e-4) / 2, 15);
    expect(lrAt(109, cosine)).toBeGreaterThan(1e-4);
    expect(lrAt(110, cosine)).toBe(1e-4);
    expect(lrAt(10_000, cosine)).toBe(1e-4);
  });

  it('decreases monotonically after warmup', () => {
    for (let s = 10; s < 120; s++) expect(lrAt(s + 1, cosine)).toBeLessThanOrEqual(lrAt(s, cosine));
  });

  it('works without warmup and when warmup fills the whole run', () => {
    expect(lrAt(0, { ...cosine, warmupSteps: 0 })).toBe(1e-3);
    const allWarmup = { ...cosine, warmupSteps: 110 };
    expect(lrAt(109, allWarmup)).toBeCloseTo(1e-3, 15);
    expect(lrAt(110, allWarmup)).toBe(1e-4);
  });

  it('rejects a bad step', () => {
    expect(() => lrAt(-1, cosine)).toThrow(/non-negative integer/);
    expect(() => lrAt(1.5, cosine)).toThrow(/non-negative integer/);
  });
});

describe('lrAt (constant)', () => {
  it('is constant after an optional warmup', () => {
    expect(lrAt(0, { kind: 'constant', lr: 2e-4 })).toBe(2e-4);
    expect(lrAt(1_000_000, { kind: 'constant', lr: 2e-4 })).toBe(2e-4);
    expect(lrAt(1, { kind: 'constant', lr: 2e-4, warmupSteps: 4 })).toBeCloseTo(1e-4, 15);
    expect(lrAt(4, { kind: 'constant', lr: 2e-4, warmupSteps: 4 })).toBe(2e-4);
  });
});

describe('lrScheduleSchema', () => {
  it('accepts both kinds and explains bad ones', () => {
    expect(lrScheduleSchema.parse(cosine)).toEqual(cosine);
    expect(lrScheduleSchema.parse({ kind: 'constant', lr: 1e-3 })).toEqual({ kind: 'constant', lr: 1e-3 });
    expect(lrScheduleSchema.safeParse({ ...cosine, warmupSteps: 200 }).success).toBe(false);
    expect(lrScheduleSchema.safeParse({ ...cosine, minLr: 1 }).success).toBe(false);
  });
});
