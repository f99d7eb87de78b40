import { describe, expect, it } from 'vitest';
import { ChunkedWords } from './chunked-words.js';

describe('ChunkedWords', () => {
  it('keeps rows apart across chunk boundaries and counts the bytes of the rows in use', () => {
    const column = new ChunkedWords(8); // 32 MB chunks of 2^20 rows
    const rows = [0, (1 << 20) - 1, 1 << 20, (1 << 20) + 5];
    for (const pos of rows) column.chunkFor(pos).fill(pos + 1, column.offset(pos), column.offset(pos) + 8);
    for (const pos of rows) expect(Array.from(column.chunk(pos).subarray(column.offset(pos), column.offset(pos) + 8))).toEqual(Array(8).fill(pos + 1));
    expect(column.chunk(1 << 20)).not.toBe(column.chunk((1 << 20) - 1));
    expect(column.bytes).toBe(((1 << 20) + 6) * 8 * 4);
  });
});
