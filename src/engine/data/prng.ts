/**
 * A small seeded PRNG whose whole state is four 32-bit numbers, so a checkpoint can store it as JSON.
 *
 * xoshiro128** 1.1 (Blackman & Vigna, https://prng.di.unimi.it/xoshiro128starstar.c): period 2^128 − 1,
 * passes BigCrush, four words of state. Seeds expand to state through SplitMix64, as its authors
 * recommend, so nearby seeds give unrelated streams. Not for cryptography.
 */

/** The PRNG state: four unsigned 32-bit words, not all zero. */
export type PrngState = [number, number, number, number];

const MASK64 = (1n << 64n) - 1n;
const TWO_32 = 2 ** 32;
const TWO_53 = 2 ** 53;

export class Xoshiro128 {
  private readonly s: Uint32Array;

  private constructor(state: readonly number[]) {
    this.s = Uint32Array.from(state);
  }

  /** A generator seeded from a non-negative safe integer. */
  static fromSeed(seed: number): Xoshiro128 {
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new Error(`PRNG seed must be a non-negative safe integer, got ${seed}`);
    }
    let x = BigInt(seed);
    const splitmix64 = (): bigint => {
      x = (x + 0x9e3779b97f4a7c15n) & MASK64;
      let z = x;
      z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
      z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
      return z ^ (z >> 31n);
    };
    const a = splitmix64();
    const b = splitmix64();
    return new Xoshiro128([Number(a & 0xffffffffn), Number(a >> 32n), Number(b & 0xffffffffn), Number(b >> 32n)]);
  }

  /** A generator continuing from a state saved with `state()`. */
  static fromState(state: readonly number[]): Xoshiro128 {
    if (state.length !== 4 || !state.every((w) => Number.isInteger(w) && w >= 0 && w < TWO_32) || state.every((w) => w === 0)) {
      throw new Error(`PRNG state must be four unsigned 32-bit integers, not all zero; got ${JSON.stringify(state)}`);
    }
    return new Xoshiro128(state);
  }

  /** A copy of the current state (JSON-serializable). */
  state(): PrngState {
    return [this.s[0]!, this.s[1]!, this.s[2]!, this.s[3]!];
  }

  /** The next uniform unsigned 32-bit integer. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5), 7), 9) >>> 0;
    const t = s[1]! << 9;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  /** A uniform float in [0, 1) with 32 random bits. */
  nextFloat(): number {
    return this.nextUint32() / TWO_32;
  }

  /** A uniform integer in [0, n), without modulo bias (rejection sampling); n ≤ 2^53. */
  nextBelow(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > TWO_53) throw new Error(`nextBelow: n must be an integer in [1, 2^53], got ${n}`);
    if (n <= TWO_32) {
      const limit = TWO_32 - (TWO_32 % n); // accept only whole multiples of n
      for (;;) {
        const x = this.nextUint32();
        if (x < limit) return x % n;
      }
    }
    const limit = TWO_53 - (TWO_53 % n);
    for (;;) {
      const x = (this.nextUint32() >>> 11) * TWO_32 + this.nextUint32(); // 53 random bits
      if (x < limit) return x % n;
    }
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
