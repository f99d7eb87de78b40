import { describe, expect, it } from 'vitest';
import { ort } from '../onnx/session.js';
import { COLUMN_CHUNK, KvCache } from './kv-cache.js';

const L = 2;
const NKV = 3;
const HS = 4;
/** A value that names where it belongs: sequence, tensor (K/V of a layer), head, position, element. */
const mark = (seq: number, t: number, h: number, pos: number, i: number): number => seq * 1e6 + t * 1e5 + h * 1e4 + pos * 10 + i;

/** 2L tensors [B, NKV, S, HS] holding `mark` values for sequences `seqs` at positions from[b] … from[b]+S−1. */
function tokens(seqs: number[], from: number[], S: number): ort.Tensor[] {
  return Array.from({ length: 2 * L }, (_, t) => {
    const data = new Float32Array(seqs.length * NKV * S * HS);
    seqs.forEach((seq, b) => {
      for (let h = 0; h < NKV; h++) for (let s = 0; s < S; s++) for (let i = 0; i < HS; i++) data[((b * NKV + h) * S + s) * HS + i] = mark(seq, t, h, from[b]! + s, i);
    });
    return new ort.Tensor('float32', data, [seqs.length, NKV, S, HS]);
  });
}

/** Checks that row b of the fed tensors holds sequence seqs[b]'s first n_b positions, in order. */
function expectRows(cache: KvCache, seqs: number[]): void {
  const fed = cache.tensors();
  const M = cache.columns;
  expect(fed[0]!.dims).toEqual([seqs.length, NKV, M, HS]);
  const lengths = cache.lengthsInto(new BigInt64Array(seqs.length));
  fed.forEach((tensor, t) => {
    const data = tensor.data as Float32Array;
    seqs.forEach((seq, b) => {
      const n = Number(lengths[b]);
      expect(n).toBeLessThanOrEqual(M);
      for (let h = 0; h < NKV; h++)
        for (let pos = 0; pos < n; pos++)
          for (let i = 0; i < HS; i++) expect(data[((b * NKV + h) * M + pos) * HS + i]).toBe(mark(seq, t, h, pos, i));
    });
  });
}

describe('KvCache', () => {
  it('keeps each row at columns 0 … n−1 through prefills, decode columns, chunk growth and removals', () => {
    const cache = new KvCache(L, NKV, HS);
    // Two prompts, right-padded to 5: only their real tokens are kept.
    cache.appendRows(tokens([7, 8], [0, 0], 5), [5, 3]);
    expect(cache.columns).toBe(COLUMN_CHUNK);
    expectRows(cache, [7, 8]);
    const lens = new Map([[7, 5], [8, 3]]);
    const step = (seqs: number[]): void => {
      cache.appendColumn(tokens(seqs, seqs.map((s) => lens.get(s)!), 1));
      for (const s of seqs) lens.set(s, lens.get(s)! + 1);
    };
    for (let k = 0; k < COLUMN_CHUNK; k++) step([7, 8]); // row 7 crosses the chunk: the cache is re-laid out with 64 columns
    expect([cache.length(0), cache.length(1), cache.columns]).toEqual([5 + COLUMN_CHUNK, 3 + COLUMN_CHUNK, 2 * COLUMN_CHUNK]);
    expectRows(cache, [7, 8]);
    cache.appendRows(tokens([9], [0], 2), [2]); // a short row joins the long ones
    lens.set(9, 2);
    step([7, 8, 9]);
    expectRows(cache, [7, 8, 9]);
    cache.removeRows([0, 1]); // the long rows leave: 3 columns fit one chunk again
    expect([cache.rows, cache.longest, cache.columns]).toEqual([1, 3, COLUMN_CHUNK]);
    expectRows(cache, [9]);
    cache.appendRows(tokens([10, 11], [0, 0], 4), [4, 1]); // 3 rows of 32 columns fit the buffers of 3 × 64
    lens.set(10, 4).set(11, 1);
    for (let k = 0; k < 30; k++) step([9, 10, 11]); // rows 9 and 10 cross 32 columns: re-laid out in place
    expect(cache.columns).toBe(2 * COLUMN_CHUNK);
    expectRows(cache, [9, 10, 11]);
    cache.removeRows([1]); // a middle row leaves: the others keep their order
    expectRows(cache, [9, 11]);
    expect(cache.lengthsInto(new BigInt64Array(2))).toEqual(BigInt64Array.of(33n, 31n));
  });

  it('gives the memory of long rows back when they leave, and keeps the rows left intact', () => {
    const cache = new KvCache(L, NKV, HS);
    const long = Array.from({ length: 14 }, (_, i) => i + 1);
    cache.appendRows(tokens(long, long.map(() => 0), 999), long.map(() => 999));
    cache.appendRows(tokens([15], [0], 3), [3]);
    const full = cache.bytes;
    expect(full).toBeGreaterThanOrEqual(2 * L * 15 * NKV * 1024 * HS * 4);
    cache.removeRows(long.map((_, b) => b));
    expect(cache.columns).toBe(COLUMN_CHUNK);
    expect(cache.bytes).toBeLessThan(full / 100);
    expectRows(cache, [15]);
    for (let k = 0; k < 40; k++) cache.appendColumn(tokens([15], [3 + k], 1)); // and it grows again
    expectRows(cache, [15]);
    expect(cache.length(0)).toBe(43);
  });
});
