import { describe, expect, it } from 'vitest';
import { generatePlantedCorpus } from '../../testing/planted-corpus.js';
import { normalizeText, validateRecords } from '../../validation/index.js';
import { transformRows } from '../test-support.js';

const corpus = generatePlantedCorpus({ seed: 7, baseRecords: 600, exactCopies: 60, nearGroups: 40, nearMisses: 25, piiPerKind: 3, hardNegatives: 20, encodingPerKind: 2, blanks: 3 });
const rows = corpus.records.map((r) => ({ id: String(r.id), text: r.text }));

function score(dropped: Set<string>, truth: Set<string>) {
  const hit = [...dropped].filter((id) => truth.has(id)).length;
  return { precision: dropped.size ? hit / dropped.size : 1, recall: truth.size ? hit / truth.size : 1 };
}

describe('dedup', () => {
  it('drops exact repeats (after normalization), keeping the first of each group', async () => {
    const out = await transformRows('steps:\n  - dedup: {exact: true}\n', rows);
    const kept = new Set(out.rows.map((r) => r.id as string));
    const dropped = new Set(rows.map((r) => r.id).filter((id) => !kept.has(id)));
    const truth = new Set([...corpus.truth['dup.exact']].map(String));
    const s = score(dropped, truth);
    console.log(`dedup exact: dropped ${dropped.size}, planted ${truth.size}, precision ${s.precision.toFixed(3)}, recall ${s.recall.toFixed(3)}`);
    expect(dropped).toEqual(truth); // exact is exact
  });

  it('drops the planted near-duplicates and keeps the first of each cluster (near via MinHash/LSH)', async () => {
    const out = await transformRows('steps:\n  - dedup: {exact: true, near: {threshold: 0.8}}\n', rows);
    const kept = new Set(out.rows.map((r) => r.id as string));
    const dropped = new Set(rows.map((r) => r.id).filter((id) => !kept.has(id)));
    const truth = new Set([...corpus.truth['dup.exact'], ...corpus.truth['dup.near']].map(String));
    const s = score(dropped, truth);
    console.log(`dedup exact+near: dropped ${dropped.size}, truth ${truth.size} (near ${corpus.truth['dup.near'].size}), precision ${s.precision.toFixed(3)}, recall ${s.recall.toFixed(3)}`);
    expect(corpus.truth['dup.near'].size).toBeGreaterThan(30);
    // The report's clusters are transitive (a later record can bridge two earlier ones); streaming
    // keep-first drops a record only when it repeats something before it, so it drops at most that.
    const report = await validateRecords(rows);
    const counted = ['dup.exact', 'dup.near'].reduce((n, rule) => n + (report.findings.find((f) => f.rule === rule)?.count ?? 0), 0);
    console.log(`report counts ${counted} duplicates beyond the first of their clusters; dedup dropped ${dropped.size}`);
    expect(dropped.size).toBeLessThanOrEqual(counted);
    expect(dropped.size).toBeGreaterThanOrEqual(0.9 * counted);
    expect(s.precision).toBeGreaterThanOrEqual(0.95);
    expect(s.recall).toBeGreaterThanOrEqual(0.9);
    // Keep-first: the first record of the corpus's text survives, its later edited copy does not.
    expect(out.stats[0]).toMatchObject({ records_in: rows.length, records_out: out.rows.length });
  });

  it('keeps the first of a pair and drops the later near copy, in stream order', async () => {
    // 80 words: one replaced word changes 5 of 76 shingles, Jaccard 71/81 ≈ 0.88 ≥ 0.8.
    const base = Array.from({ length: 80 }, (_, i) => `w${i}x${(i * 7919) % 104729}`).join(' ');
    const edited = base.replace('w40x', 'changed w40x');
    const pair = [
      { id: 'a', text: 'an unrelated record about cooking pasta with fresh tomatoes basil garlic and a little olive oil for dinner tonight at home' },
      { id: 'first', text: base },
      { id: 'later', text: edited },
      { id: 'blank1', text: '' },
      { id: 'blank2', text: '' },
    ];
    const out = await transformRows('steps:\n  - dedup: {near: true}\n', pair);
    expect(out.rows.map((r) => r.id)).toEqual(['a', 'first', 'blank1', 'blank2']);
    const off = await transformRows('steps:\n  - dedup: {exact: true}\n', pair);
    expect(off.rows.map((r) => r.id)).toEqual(['a', 'first', 'later', 'blank1', 'blank2']);
  });

  it('grows its tables past their starting size (2 records chunked into thousands) and still drops every repeat', async () => {
    // 4,000+ distinct chunks: more than the exact set's first 4,096 slots hold at 70% load.
    const text = Array.from({ length: 12_000 }, (_, i) => `w${i}`).join(' ');
    const two = [{ id: 'one', text }, { id: 'copy', text }];
    const chunked = (await transformRows('steps:\n  - chunk: {max_tokens: 5}\n', two)).rows;
    const firsts = new Map<string, unknown>();
    for (const r of chunked) if (!firsts.has(normalizeText(r.text as string))) firsts.set(normalizeText(r.text as string), r.text);
    expect(firsts.size).toBeGreaterThan(3000);
    expect(chunked.length).toBe(2 * firsts.size);
    for (const dedup of ['{exact: true}', '{exact: true, near: true}', '{exact: false, near: true}']) {
      const out = await transformRows(`steps:\n  - chunk: {max_tokens: 5}\n  - dedup: ${dedup}\n`, two);
      expect(out.rows.map((r) => r.text), dedup).toEqual([...firsts.values()]);
    }
  });
});
