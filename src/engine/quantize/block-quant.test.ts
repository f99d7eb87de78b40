/**
 * The block quantizer: MatMulNBits' byte layout, the rounding bound of dequantize(quantize(W)) (the
 * dequantization runs in ONNX Runtime through the dequantizeNBits op), and clear refusals.
 */
import { describe, expect, it } from 'vitest';
import { rng } from '../onnx/gradcheck.js';
import { quantizeBlocks } from './block-quant.js';
import { dequantizeBlocks } from './dequantize.js';

const gaussian = (n: number, seed: number, std = 0.02): Float32Array => {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => std * r.normal());
};

describe('quantizeBlocks layout', () => {
  it('packs int4 codes low nibble first along K, one scale per block, a ragged last block padded with the zero code', () => {
    const [K, N, bs] = [40, 2, 16]; // blocks of 16, 16 and 8 (+8 padding)
    const w = new Float32Array(K * N);
    for (let k = 0; k < K; k++) {
      w[k * N] = 0.5 * ((k % 16) - 8); // column 0: −4 … 3.5 per block, codes 0 … 15
      w[k * N + 1] = k < 16 ? 1 : 0; // column 1: a constant block, then zero blocks
    }
    const q = quantizeBlocks(w, [K, N], { bits: 4, blockSize: bs });
    expect([q.codes.length, q.scales.length]).toEqual([N * 3 * 8, N * 3]);
    // −4 is the extreme: it maps to code 0 exactly, so d = −4 / −8 = 0.5 and code = k + 8 − 8·… = k mod 16.
    expect([...q.scales.subarray(0, 3)]).toEqual([0.5, 0.5, 0.5]);
    expect([...q.codes.subarray(0, 8)]).toEqual([0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe]);
    // Block 2 holds k = 32..39 (codes 0..7); its padded half is the zero code 8.
    expect([...q.codes.subarray(16, 24)]).toEqual([0x10, 0x32, 0x54, 0x76, 0x88, 0x88, 0x88, 0x88]);
    // Column 1: 1.0 is the extreme, d = −1/8, so 1.0 → code 0; all-zero blocks get scale 0 and the zero code.
    expect([...q.scales.subarray(3)]).toEqual([-0.125, 0, 0]);
    expect([...q.codes.subarray(24, 32)]).toEqual(new Array(8).fill(0x00));
    expect([...q.codes.subarray(32)]).toEqual(new Array(16).fill(0x88));
  });

  it('stores int8 codes one a byte, offset by 128', () => {
    const w = Float32Array.from({ length: 32 }, (_, k) => k - 16); // one column, extreme −16 → d = 0.125
    const q = quantizeBlocks(w, [32, 1], { bits: 8 });
    expect(q.scales[0]).toBe(0.125);
    expect([...q.codes.subarray(0, 4)]).toEqual([0, 8, 16, 24]); // (k − 16) / 0.125 + 128
  });
});

describe('dequantize(quantize(W)) error', () => {
  for (const bits of [4, 8] as const)
    it(`int${bits}: every value within half a step of its block's scale (a full step where the top code clips)`, async () => {
      const [K, N, bs] = [688, 96, 32]; // the tiny preset's ffn as K: a ragged last block
      const w = gaussian(K * N, bits);
      const q = quantizeBlocks(w, [K, N], { bits, blockSize: bs });
      const back = await dequantizeBlocks(q);
      const top = 2 ** (bits - 1) - 0.5; // |w/d| beyond this rounds to a code that does not exist
      const nb = Math.ceil(K / bs);
      let worst = 0;
      let sq = 0;
      let wsq = 0;
      for (let k = 0; k < K; k++)
        for (let n = 0; n < N; n++) {
          const d = Math.abs(q.scales[n * nb + Math.floor(k / bs)]!);
          const v = w[k * N + n]!;
          const err = Math.abs(v - back[k * N + n]!);
          const bound = (Math.abs(v) / d > top ? 1 : 0.5) * d * (1 + 1e-5);
          worst = Math.max(worst, err / bound);
          sq += err * err;
          wsq += v * v;
        }
      const rel = Math.sqrt(sq / wsq);
      console.log(`int${bits}: max err/bound ${worst.toFixed(3)} ≤ 1; relative RMS error ${rel.toExponential(2)}`);
      expect(worst).toBeLessThanOrEqual(1);
      // The RMS error of rounding is step/√12 ≈ 0.29 steps; a block of 32 gaussians has |max| ≈ 2.2σ.
      expect(rel).toBeLessThan(bits === 4 ? 0.1 : 0.007);
    });
});

describe('quantizeBlocks refuses what it cannot pack', () => {
  const w = gaussian(64 * 4, 9);
  it.each([
    ['a 3-D weight', () => quantizeBlocks(w, [8, 8, 4], { bits: 4 }), /2-D weight \[in, out\]/],
    ['a length that does not match the shape', () => quantizeBlocks(w, [64, 5], { bits: 4 }), /needs 320 values, got 256/],
    ['a zero dim', () => quantizeBlocks(new Float32Array(0), [0, 4], { bits: 4 }), /positive dims/],
    ['a block size that is not a power of two', () => quantizeBlocks(w, [64, 4], { bits: 4, blockSize: 24 }), /power of two ≥ 16/],
    ['a block size below 16', () => quantizeBlocks(w, [64, 4], { bits: 4, blockSize: 8 }), /power of two ≥ 16/],
    ['3 bits', () => quantizeBlocks(w, [64, 4], { bits: 3 as 4 }), /bits must be 4 or 8/],
    ['a NaN weight', () => quantizeBlocks(Float32Array.from(w, (v, i) => (i === 70 ? NaN : v)), [64, 4], { bits: 8 }), /W\[17,2\] is NaN/],
  ])('%s', (_, run, message) => {
    expect(run).toThrow(message);
  });
});
