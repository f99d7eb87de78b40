import { describe, expect, it } from 'vitest';
import { Rng } from '../testing/rng.js';
import { SignatureStore } from './signature-store.js';

/** A signature whose first `shared` bins come from `base` and the rest are fresh random values. */
function signature(rng: Rng, K: number, base?: Uint32Array, shared = 0): Uint32Array {
  const out = new Uint32Array(K);
  for (let i = 0; i < K; i++) out[i] = base && i < shared ? base[i]! : rng.int(0, 0xfffffffe);
  return out;
}

describe('SignatureStore', () => {
  for (const bits of [1, 2, 4, 8]) {
    it(`estimates the share of equal bins at ${bits} bits per bin, padding of the last word not counted (K = 100)`, () => {
      const rng = new Rng(bits);
      const K = 100; // 100·b bits leaves unused groups in the last word for b < 8
      const store = new SignatureStore(K, bits);
      const base = signature(rng, K);
      const a = store.add(base);
      expect(store.similarity(a, store.add(base))).toBe(1);
      // The estimate of a pair with 60 of 100 bins equal, averaged over many pairs: 0.6.
      let sum = 0;
      const pairs = 400;
      for (let p = 0; p < pairs; p++) sum += store.similarity(a, store.add(signature(rng, K, base, 60)));
      console.log(`${bits} bits: mean estimate ${(sum / pairs).toFixed(4)} for 60% equal bins; ${store.bytes / store.size} bytes per record`);
      expect(Math.abs(sum / pairs - 0.6)).toBeLessThan(0.02);
    });
  }

  it('refuses a bit width it cannot pack', () => {
    expect(() => new SignatureStore(128, 3)).toThrow(/bits must be 1, 2, 4 or 8/);
  });
});
