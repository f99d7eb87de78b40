import { describe, expect, it } from 'vitest';
import { U64Set } from './hash-table.js';

describe('U64Set', () => {
  it('tells new keys from repeats through growth, the zero key and keys that differ in one half included', () => {
    const set = new U64Set(16);
    const keys: [number, number][] = [[0, 0], [0, 1], [1, 0], [0xffffffff, 0xffffffff]];
    for (let i = 1; i <= 5000; i++) keys.push([Math.imul(i, 0x9e3779b1) >>> 0, i]);
    expect(keys.map(([hi, lo]) => set.add(hi, lo)).every(Boolean)).toBe(true);
    expect(keys.map(([hi, lo]) => set.add(hi, lo)).some(Boolean)).toBe(false);
    expect(set.size).toBe(keys.length);
    expect(set.add(1, 1)).toBe(true);
    expect(set.bytes).toBe(8192 * 8);
  });
});
