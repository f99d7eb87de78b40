/**
 * Throughput of the validator on one core: records/s and MB/s (UTF-8) for the whole validator and
 * for each rule group alone, with JSON.parse of the same records as JSONL lines measured in the same
 * run as the yardstick (the least an ingest job spends per record).
 *
 *   node --expose-gc --import tsx src/datasets/testing/measure-validation-throughput.ts [records=100000] [sentences per record, e.g. 8-14]
 */
import { Validator } from '../validation/validator.js';
import type { DatasetRecord } from '../validation/types.js';
import { PII_KINDS } from '../validation/config.js';
import { hardNegativeSentence, piiSentence } from './pii-samples.js';
import { Rng } from './rng.js';
import { paragraph } from './vocabulary.js';

/** A stream-like corpus: prose (by default 1–5 sentences, one in five 6–14), ~3% with PII, ~3% look-alikes, ~2% repeats. */
export function benchRecords(n: number, seed = 1, sentences?: [number, number]): DatasetRecord[] {
  const rng = new Rng(seed);
  const out: DatasetRecord[] = [];
  for (let i = 0; i < n; i++) {
    let text: string;
    if (i > 10 && rng.chance(0.02)) text = out[rng.int(0, i - 1)]!.text;
    else {
      text = paragraph(rng, sentences ? rng.int(sentences[0], sentences[1]) : rng.chance(0.2) ? rng.int(6, 14) : rng.int(1, 5));
      if (rng.chance(0.03)) text += ' ' + piiSentence(rng.pick(PII_KINDS), rng);
      if (rng.chance(0.03)) text += ' ' + hardNegativeSentence(rng);
    }
    out.push({ id: i, text });
  }
  return out;
}

function time(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return (performance.now() - t0) / 1000;
}

const ALL_OFF = Object.fromEntries(
  ['empty', 'length.outlier', 'dup.exact', 'dup.near', ...PII_KINDS.map((k) => `pii.${k}`), 'encoding.replacement_char', 'encoding.control_chars', 'encoding.mojibake'].map((r) => [r, { enabled: false }]),
);
const only = (...rules: string[]): Record<string, unknown> => ({ rules: { ...ALL_OFF, ...Object.fromEntries(rules.map((r) => [r, { enabled: true }])) } });

function main(): void {
  const n = Number(process.argv[2] ?? 100_000);
  const range = process.argv[3]?.split('-').map(Number) as [number, number] | undefined;
  const records = benchRecords(n, 1, range);
  const lines = records.map((r) => JSON.stringify(r));
  const mb = lines.reduce((s, l) => s + Buffer.byteLength(l), 0) / 1e6;
  const textMb = records.reduce((s, r) => s + Buffer.byteLength(r.text), 0) / 1e6;
  console.log(`${n} records, ${mb.toFixed(1)} MB as JSONL (${textMb.toFixed(1)} MB of text, ${(textMb * 1e6 / n).toFixed(0)} B/record)`);

  const run = (config: Record<string, unknown>): number => time(() => {
    const v = new Validator(config);
    for (const r of records) v.add(r);
    v.finish();
  });
  run({}); // warm up the JIT on the whole path
  let sink = 0;
  const parse = time(() => {
    for (const l of lines) sink += (JSON.parse(l) as DatasetRecord).text.length;
  });
  // The validator's state lives in typed arrays: their growth over a run is its memory.
  let stateBytes = 0;
  const full = time(() => {
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.(); // drop the arrays of earlier runs, or they count against this one
    const before = process.memoryUsage().arrayBuffers;
    const v = new Validator({});
    for (const r of records) v.add(r);
    stateBytes = process.memoryUsage().arrayBuffers - before;
    v.finish();
  });
  const groups: [string, Record<string, unknown>][] = [
    ['empty + length.outlier', only('empty', 'length.outlier')],
    ['dup.exact', only('dup.exact')],
    ['dup.exact + dup.near', only('dup.exact', 'dup.near')],
    ['pii.* (7 detectors)', only(...PII_KINDS.map((k) => `pii.${k}`))],
    ['encoding.*', only('encoding.replacement_char', 'encoding.control_chars', 'encoding.mojibake')],
  ];
  const row = (name: string, s: number): string =>
    `${name.padEnd(24)} ${(n / s).toFixed(0).padStart(9)} rec/s ${(mb / s).toFixed(1).padStart(7)} MB/s  ${(s / parse).toFixed(2).padStart(6)}× JSON.parse`;
  console.log(row('JSON.parse (yardstick)', parse));
  console.log(row('validator, all rules', full));
  for (const [name, config] of groups) console.log(row(name, run(config)));
  console.log(`validator state (typed arrays) at the end of the run: ${(stateBytes / 1e6).toFixed(1)} MB, ${(stateBytes / n).toFixed(0)} B/record (tables grow by doubling)${(globalThis as { gc?: unknown }).gc ? '' : '; run with --expose-gc for a clean figure'}`);
  console.log(`BENCH validation records_per_s=${(n / full).toFixed(0)} mb_per_s=${(mb / full).toFixed(1)} ratio_vs_json_parse=${(full / parse).toFixed(2)} (${sink > 0 ? 'ok' : ''})`);
}

if (process.argv[1]?.endsWith("measure-validation-throughput.ts")) main();
