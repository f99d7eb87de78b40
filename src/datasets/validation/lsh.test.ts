import { describe, expect, it } from 'vitest';
import { BandTable } from './lsh.js';

describe('BandTable', () => {
  const holders = new Int32Array(8);
  const holdersOf = (table: BandTable, key: number): number[] => Array.from(holders.subarray(0, table.holdersOf(key, holders))).sort((a, b) => a - b);

  it('keeps every holder of a key through growth, apart from keys that share its tag and home slot', () => {
    const table = new BandTable(16);
    // Same top byte (tag) and same low bits (home slot), different keys.
    const k1 = 0xab000001;
    const k2 = 0xab100001;
    for (let pos = 0; pos < 3000; pos++) {
      const key = pos < 3 ? k1 : pos < 5 ? k2 : (Math.imul(pos, 0x9e3779b1) ^ 0x5bd1e995) >>> 0;
      table.holdersOf(key, holders);
      table.insert(key, pos);
    }
    expect(holdersOf(table, k1)).toEqual([0, 1, 2]);
    expect(holdersOf(table, k2)).toEqual([3, 4]);
    expect(holdersOf(table, 0x12345678)).toEqual([]);
    expect(table.bytes).toBeGreaterThan(3000 * 4);
  });

  it('returns at most as many holders as the output holds', () => {
    const table = new BandTable();
    for (let pos = 0; pos < 5; pos++) {
      table.holdersOf(42, holders);
      table.insert(42, pos);
    }
    expect(table.holdersOf(42, new Int32Array(2))).toBe(2);
  });
});
