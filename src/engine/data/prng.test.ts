import { describe, expect, it } from 'vitest';
import { Xoshiro128 } from './prng.js';

// Golden values from the reference C code (prng.di.unimi.it: xoshiro128starstar.c, splitmix64.c),
// compiled with gcc.
describe('Xoshiro128', () => {
  it('matches the reference implementation from a given state', () => {
    const rng = Xoshiro128.fromState([1, 2, 3, 4]);
    expect(Array.from({ length: 6 }, () => rng.nextUint32())).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492]);
  });

  it('seeds through SplitMix64 as the reference does', () => {
    const rng = Xoshiro128.fromSeed(42);
    expect(rng.state()).toEqual([803958421, 3184996902, 2993090819, 686809907]);
    expect(Array.from({ length: 6 }, () => rng.nextUint32())).toEqual([1776835114, 4165204688, 17111135, 2317295270, 2792088233, 2554630222]);
  });

  it('resumes exactly from a JSON round trip of its state', () => {
    const a = Xoshiro128.fromSeed(7);
    for (let i = 0; i < 100; i++) a.nextUint32();
    const b = Xoshiro128.fromState(JSON.parse(JSON.stringify(a.state())) as number[]);
    expect(Array.from({ length: 50 }, () => b.nextBelow(1000))).toEqual(Array.from({ length: 50 }, () => a.nextBelow(1000)));
  });

  it('draws unbiased integers in range, including above 2^32', () => {
    const rng = Xoshiro128.fromSeed(1);
    const counts = new Array<number>(6).fill(0);
    for (let i = 0; i < 60_000; i++) counts[rng.nextBelow(6)]!++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(400); // ~4.4 sigma
    for (let i = 0; i < 1000; i++) {
      const x = rng.nextBelow(3 * 2 ** 40);
      expect(Number.isInteger(x) && x >= 0 && x < 3 * 2 ** 40).toBe(true);
    }
    const f = rng.nextFloat();
    expect(f >= 0 && f < 1).toBe(true);
  });

  it('rejects bad seeds and states', () => {
    expect(() => Xoshiro128.fromSeed(-1)).toThrow(/non-negative safe integer/);
    expect(() => Xoshiro128.fromState([0, 0, 0, 0])).toThrow(/not all zero/);
    expect(() => Xoshiro128.fromState([1, 2, 3])).toThrow(/four unsigned 32-bit/);
    expect(() => Xoshiro128.fromSeed(1).nextBelow(0)).toThrow(/\[1, 2\^53\]/);
  });
});
