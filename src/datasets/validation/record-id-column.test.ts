import { describe, expect, it } from 'vitest';
import { RecordIdColumn } from './record-id-column.js';

describe('RecordIdColumn', () => {
  it('keeps integer ids in 4 bytes each', () => {
    const ids = new RecordIdColumn();
    for (let i = 0; i < 70_000; i++) ids.push(i * 3);
    expect([ids.get(0), ids.get(65_536), ids.get(69_999)]).toEqual([0, 196_608, 209_997]);
    expect(ids.bytes).toBe(70_000 * 4);
  });

  it('turns into an array of ids at the first id that is not a small non-negative integer', () => {
    for (const odd of ['doc-7', -1, 2.5, 2 ** 32]) {
      const ids = new RecordIdColumn();
      ids.push(5);
      ids.push(odd);
      ids.push(9);
      expect([ids.get(0), ids.get(1), ids.get(2)]).toEqual([5, odd, 9]);
    }
  });
});
