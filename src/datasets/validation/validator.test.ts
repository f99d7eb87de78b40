import { describe, expect, it } from 'vitest';
import { generatePlantedCorpus } from '../testing/planted-corpus.js';
import { Validator, validateRecords } from './validator.js';
import type { DatasetRecord } from './types.js';

async function* slowly(records: DatasetRecord[]): AsyncIterable<DatasetRecord> {
  for (const r of records) {
    await Promise.resolve();
    yield r;
  }
}

const records: DatasetRecord[] = [
  { id: 1, text: 'Contact jane@example.com about the invoice.' },
  { id: 2, text: '   ' },
  { id: 3, text: 'Contact jane@example.com about the invoice.' },
  { id: 4, text: 'Card 4111 1111 1111 1111 was charged.' },
  { id: 5, text: 'Mail bob@example.org or ann@example.net.' },
  { id: 6, text: 'The caf\u00C3\u00A9 opens at nine.' },
];

describe('Validator', () => {
  it('runs every rule over an async iterable, sorted by severity then count, with progress', async () => {
    const progress: number[] = [];
    const result = await new Validator({}).run(slowly(records), { onProgress: (p) => progress.push(p.records), progressEvery: 2 });
    expect(result.records).toBe(6);
    expect(progress).toEqual([2, 4, 6, 6]);
    expect(result.findings.map((f) => [f.rule, f.severity, f.count])).toEqual([
      ['pii.card', 'error', 1],
      ['pii.email', 'warning', 3],
      ['dup.exact', 'warning', 1],
      ['empty', 'warning', 1],
      ['encoding.mojibake', 'warning', 1],
    ]);
  });

  it('never puts the values it found into a finding', async () => {
    const { findings } = await validateRecords(records);
    const json = JSON.stringify(findings);
    for (const secret of ['jane@example.com', 'bob@example.org', '4111']) expect(json).not.toContain(secret);
  });

  it('honours disabled rules, severity overrides and maxExamples', async () => {
    const { findings } = await validateRecords(records, { maxExamples: 1, rules: { 'pii.email': { severity: 'error' }, 'pii.card': { enabled: false } } });
    expect(findings[0]).toMatchObject({ rule: 'pii.email', severity: 'error', count: 3, examples: [1] });
    expect(findings.find((f) => f.rule === 'pii.card')).toBeUndefined();
  });

  it('stops when aborted and refuses records after finish', async () => {
    const controller = new AbortController();
    controller.abort(new Error('cancelled'));
    await expect(new Validator().run(records, { signal: controller.signal })).rejects.toThrow('cancelled');
    const v = new Validator();
    v.add(records[0]!);
    v.finish();
    expect(() => v.add(records[1]!)).toThrow(/after finish/);
  });

  it('finds the same with its duplicate tables sized up front as grown, whether the estimate is low or high', async () => {
    const corpus = generatePlantedCorpus({ seed: 3 }).records;
    const grown = await new Validator({}).run(corpus);
    for (const expectedRecords of [100, corpus.length, 10 * corpus.length]) {
      expect((await new Validator({}, { expectedRecords }).run(corpus)).findings, `expected ${expectedRecords}`).toEqual(grown.findings);
    }
    expect(grown.findings.find((f) => f.rule === 'dup.near')?.count).toBeGreaterThan(50);
  });
});
