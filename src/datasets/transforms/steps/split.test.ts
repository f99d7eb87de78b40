import { describe, expect, it } from 'vitest';
import { transformRows } from '../test-support.js';

const rows = Array.from({ length: 4000 }, (_, i) => ({ id: i, text: `record number ${i} about topic ${i % 17}` }));

describe('split', () => {
  it('is near the requested ratios, and the same seed gives the same assignment', async () => {
    const recipe = 'steps:\n  - split: {train: 0.8, validation: 0.1, test: 0.1, seed: 42}\n';
    const a = await transformRows(recipe, rows);
    const b = await transformRows(recipe, [...rows].reverse());
    const count = (name: string) => a.rows.filter((r) => r.split === name).length;
    const shares = { train: count('train') / rows.length, validation: count('validation') / rows.length, test: count('test') / rows.length };
    console.log(`split shares: train ${shares.train.toFixed(3)} validation ${shares.validation.toFixed(3)} test ${shares.test.toFixed(3)} (asked 0.8/0.1/0.1, n=${rows.length})`);
    // 4 standard deviations of a binomial share at n = 4000 is about 0.025 for 0.8, 0.019 for 0.1.
    expect(Math.abs(shares.train - 0.8)).toBeLessThan(0.025);
    expect(Math.abs(shares.validation - 0.1)).toBeLessThan(0.019);
    expect(Math.abs(shares.test - 0.1)).toBeLessThan(0.019);
    // Order-independent: each record keeps its split when the dataset is reordered.
    const byId = new Map(b.rows.map((r) => [r.id, r.split]));
    expect(a.rows.every((r) => byId.get(r.id) === r.split)).toBe(true);
  });

  it('another seed moves records; duplicates of one text stay together', async () => {
    const s1 = await transformRows('steps:\n  - split: {seed: 1}\n', rows);
    const s2 = await transformRows('steps:\n  - split: {seed: 2}\n', rows);
    const moved = s1.rows.filter((r, i) => r.split !== s2.rows[i]!.split).length;
    expect(moved).toBeGreaterThan(rows.length * 0.2);
    const dupes = await transformRows('steps:\n  - split: {train: 0.5, test: 0.5, column: part}\n', Array.from({ length: 200 }, (_, i) => ({ text: `Text ${i % 20}` })));
    const partOf = new Map<string, unknown>();
    for (const r of dupes.rows) {
      const key = String(r.text).toLowerCase();
      if (partOf.has(key)) expect(r.part).toBe(partOf.get(key));
      partOf.set(key, r.part);
    }
    expect(new Set(dupes.rows.map((r) => r.part))).toEqual(new Set(['train', 'test']));
  });
});
