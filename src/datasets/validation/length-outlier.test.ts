import { describe, expect, it } from 'vitest';
import { parseValidationConfig } from './config.js';
import { lengthBounds, lengthOutlierRule } from './length-outlier.js';
import { QuantileSketch } from './quantile-sketch.js';
import { Rng } from '../testing/rng.js';
import { SharedRecordContext } from './record-context.js';

const contextFor = (index: number, text: string): SharedRecordContext => {
  const ctx = new SharedRecordContext(undefined);
  ctx.reset(index, text);
  return ctx;
};

describe('QuantileSketch', () => {
  it('returns quantiles within its relative accuracy', () => {
    const rng = new Rng(1);
    const values = Array.from({ length: 20_000 }, () => Math.round(Math.exp(4 + 1.5 * (rng.next() + rng.next() + rng.next() - 1.5))));
    const sketch = new QuantileSketch(0.01);
    for (const v of values) sketch.add(v);
    values.sort((a, b) => a - b);
    for (const q of [0.01, 0.25, 0.5, 0.75, 0.99]) {
      const exact = values[Math.floor(q * (values.length - 1))]!;
      expect(Math.abs(sketch.quantile(q) - exact) / exact, `q=${q}`).toBeLessThanOrEqual(0.011);
    }
  });
});

describe('length.outlier', () => {
  it('flags the planted extremes of a skewed distribution and nothing else', () => {
    const rng = new Rng(2);
    const config = parseValidationConfig({ maxExamples: 100 });
    const rule = lengthOutlierRule(config);
    const planted = new Set<number>();
    for (let i = 0; i < 5000; i++) {
      let n = Math.round(Math.exp(6 + 0.4 * (rng.next() + rng.next() + rng.next() - 1.5))); // ~400 chars, skewed
      if (i % 500 === 7) { n = 40_000; planted.add(i); }
      if (i % 500 === 9) { n = 3; planted.add(i); }
      const text = 'x'.repeat(n);
      rule.observe({ id: i, text }, contextFor(i, text));
    }
    const [finding] = rule.finish();
    expect(finding?.count).toBe(planted.size);
    expect(new Set(finding?.examples)).toEqual(planted);
    expect(finding?.message).toMatch(/outside \d+–\d+ characters/);
  });

  it('reports nothing for a uniform corpus or too few records', () => {
    const sketch = new QuantileSketch();
    for (let i = 0; i < 100; i++) sketch.add(500);
    const b = lengthBounds(sketch, 3.5);
    expect(b.low).toBeLessThan(500);
    expect(b.high).toBeGreaterThan(500);
    const rule = lengthOutlierRule(parseValidationConfig({}));
    rule.observe({ id: 1, text: 'short' }, contextFor(0, 'short'));
    expect(rule.finish()).toEqual([]);
  });
});
