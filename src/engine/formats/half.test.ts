import { describe, expect, it } from 'vitest';
import { bf16ToFloat32, f16ToFloat32, float32ToBf16, float32ToF16 } from './half.js';

const f16 = (...values: number[]) => Array.from(float32ToF16(Float32Array.from(values)));
const bf16 = (...values: number[]) => Array.from(float32ToBf16(Float32Array.from(values)));

describe('F16', () => {
  it('decodes known bit patterns (IEEE 754 binary16)', () => {
    const decoded = f16ToFloat32(Uint16Array.from([0x3c00, 0xc000, 0x7bff, 0x0001, 0x0400, 0x7c00, 0xfc00, 0x8000, 0x3555]));
    expect(Array.from(decoded.subarray(0, 8))).toEqual([1, -2, 65504, 2 ** -24, 2 ** -14, Infinity, -Infinity, -0]);
    expect(decoded[8]).toBeCloseTo(0.333251953125, 12);
    expect(f16ToFloat32(Uint16Array.from([0x7e00]))[0]).toBeNaN();
  });

  it('encodes with round-to-nearest-even, overflow to Inf and subnormals', () => {
    expect(f16(1, -2, 65504, 1 / 3, 0, -0)).toEqual([0x3c00, 0xc000, 0x7bff, 0x3555, 0, 0x8000]);
    expect(f16(65519, 65520, 1e6, -Infinity)).toEqual([0x7bff, 0x7c00, 0x7c00, 0xfc00]); // 65520 is the tie: rounds up to Inf
    expect(f16(2 ** -24, 2 ** -25, 3 * 2 ** -25, 2 ** -26)).toEqual([0x0001, 0x0000, 0x0002, 0x0000]); // ties to even
    expect(f16(1 + 2 ** -11, 1 + 3 * 2 ** -11)).toEqual([0x3c00, 0x3c02]); // ties to even among normals
    expect(f16(2 ** -14 - 2 ** -25)).toEqual([0x0400]); // subnormal rounding carries into the smallest normal
    expect(f16(Number.NaN)[0]! & 0x7fff).toBeGreaterThan(0x7c00);
  });

  it('round-trips every finite F16 value exactly', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const finite = all.filter((h) => (h & 0x7c00) !== 0x7c00);
    expect(float32ToF16(f16ToFloat32(finite))).toEqual(finite);
  });
});

describe('BF16', () => {
  it('decodes exactly and encodes with round-to-nearest-even', () => {
    expect(Array.from(bf16ToFloat32(Uint16Array.from([0x3f80, 0xc049, 0x7f80])))).toEqual([1, -3.140625, Infinity]);
    expect(bf16(1, 1 + 2 ** -8, 1 + 3 * 2 ** -8, 1 + 2 ** -7)).toEqual([0x3f80, 0x3f80, 0x3f82, 0x3f81]);
    expect(bf16(Number.NaN)[0]! & 0x7fff).toBeGreaterThan(0x7f80);
  });
});
