import { describe, expect, it } from 'vitest';
import { permuteRotaryRows, transpose2d, unpermuteRotaryRows } from './weight-layout.js';

describe('weight layout', () => {
  it('transposes [rows, cols] row-major', () => {
    expect(Array.from(transpose2d(Float32Array.from([1, 2, 3, 4, 5, 6]), 2, 3))).toEqual([1, 4, 2, 5, 3, 6]);
  });

  it('permutes q/k rows as reshape(heads, 2, HS/2, cols).swapaxes(1, 2) does, and inverts it', () => {
    const [heads, hs, cols] = [2, 6, 2];
    // Row r holds [r, r + 0.5] so each output row tells which input row it came from.
    const w = Float32Array.from({ length: heads * hs * cols }, (_, i) => Math.floor(i / cols) + (i % cols) / 2);
    const p = permuteRotaryRows(w, heads, cols);
    const sourceRows = Array.from({ length: heads * hs }, (_, r) => p[r * cols]!);
    // Head 0 (rows 0..5): halves [0 1 2 | 3 4 5] interleave to 0 3 1 4 2 5; head 1 likewise from 6.
    expect(sourceRows).toEqual([0, 3, 1, 4, 2, 5, 6, 9, 7, 10, 8, 11]);
    expect(p[1 * cols + 1]).toBe(3.5); // whole rows move
    expect(unpermuteRotaryRows(p, heads, cols)).toEqual(w);
    expect(() => permuteRotaryRows(new Float32Array(10), 2, 1)).toThrow(/even size/);
  });
});
