/**
 * `length.outlier`: records whose character length is far from the typical one, by the robust
 * z-score of Iglewicz & Hoaglin on log length: z = 0.6745·(ln x − median)/MAD, outlier when
 * |z| > 3.5. Logs, because text lengths are skewed (a long tail of long documents is normal);
 * median and MAD, because a few huge records must not move the yardstick they are measured with.
 *
 * One pass, bounded memory: lengths go into a quantile sketch (1% relative accuracy), and the
 * shortest and longest `maxExamples` records are kept as candidate examples. At the end the
 * median and the MAD are read from the sketch's buckets, and the count is the number of records
 * whose bucket lies outside the bounds (so it is exact up to the 2% width of a bucket).
 */
import type { ValidationConfig } from './config.js';
import { records } from './finding-collector.js';
import { QuantileSketch } from './quantile-sketch.js';
import { TopK } from './top-k.js';
import { isBlank } from './empty.js';
import type { DatasetRecord, Finding, RecordContext, RecordId, Rule } from './types.js';

// A floor on the MAD (in log units, ≈ ±5%): a corpus of identical lengths must not turn a
// one-character difference into an outlier.
const MIN_MAD = 0.05;

export interface LengthBounds {
  median: number;
  low: number;
  high: number;
}

/** Length bounds outside which a record is an outlier, from a sketch of lengths. */
export function lengthBounds(sketch: QuantileSketch, robustZ: number): LengthBounds {
  const median = Math.log(sketch.quantile(0.5));
  const deviations = [...sketch.buckets()].map(([v, c]) => [Math.abs(Math.log(v) - median), c] as const).sort((a, b) => a[0] - b[0]);
  let seen = 0;
  let mad = 0;
  for (const [d, c] of deviations) {
    seen += c;
    if (seen > (sketch.count - 1) / 2) {
      mad = d;
      break;
    }
  }
  const spread = (robustZ * Math.max(mad, MIN_MAD)) / 0.6745;
  return { median: Math.exp(median), low: Math.exp(median - spread), high: Math.exp(median + spread) };
}

/** `length.outlier`. Blank records are the `empty` rule's and are left out of the distribution. */
export function lengthOutlierRule(config: ValidationConfig): Rule {
  const { severity, robustZ, minRecords } = config.rules['length.outlier'];
  const sketch = new QuantileSketch();
  const longest = new TopK<[number, RecordId]>(config.maxExamples);
  const shortest = new TopK<[number, RecordId]>(config.maxExamples);
  return {
    ids: ['length.outlier'],
    observe(record: DatasetRecord, ctx: RecordContext) {
      if (isBlank(record.text)) return;
      const n = record.text.length;
      sketch.add(n);
      longest.offer(n, [ctx.index, record.id]);
      shortest.offer(-n, [ctx.index, record.id]);
    },
    finish(): Finding[] {
      if (sketch.count < minRecords) return [];
      const bounds = lengthBounds(sketch, robustZ);
      const outside = (n: number): boolean => {
        const v = sketch.valueOf(sketch.bucketOf(n));
        return v < bounds.low || v > bounds.high;
      };
      let count = 0;
      for (const [v, c] of sketch.buckets()) if (v < bounds.low || v > bounds.high) count += c;
      if (count === 0) return [];
      const candidates = [...longest.entries().map(([n, e]) => [n, e] as const), ...shortest.entries().map(([n, e]) => [-n, e] as const)];
      const seen = new Set<number>();
      const examples = candidates
        .filter(([n, [index]]) => outside(n) && !seen.has(index) && seen.add(index))
        .map(([, e]) => e)
        .sort((a, b) => a[0] - b[0])
        .slice(0, config.maxExamples)
        .map(([, id]) => id);
      const fmt = (x: number): string => String(Math.round(x));
      return [
        {
          rule: 'length.outlier',
          severity,
          count,
          examples,
          message: `${records(count)} have a length outside ${fmt(bounds.low)}–${fmt(bounds.high)} characters (median ${fmt(bounds.median)}; robust z-score on log length > ${robustZ}).`,
          fix: 'Inspect them; drop or chunk them with the transform steps `filter: {min_chars, max_chars}` or `chunk`.',
        },
      ];
    },
  };
}
