import { describe, expect, it } from 'vitest';
import { parseValidationConfig } from './config.js';
import { NearDuplicateIndex, nearDuplicateOptions } from './dup-near.js';
import { candidateProbability, chooseBanding } from './lsh.js';
import { normalizeText } from './normalize.js';
import { SIGNATURE_BITS } from './signature-store.js';
import { Rng } from '../testing/rng.js';
import { jaccard, shingleSet } from '../testing/reference-truth.js';
import { paragraph, randomWord } from '../testing/vocabulary.js';
import { Validator } from './validator.js';

describe('LSH banding', () => {
  it('puts the S-curve below the threshold so pairs at the threshold are candidates ≥ 97% of the time', () => {
    for (const t of [0.5, 0.7, 0.8, 0.9, 0.95]) {
      const b = chooseBanding(t, 128);
      expect(b.bands * b.rows).toBeLessThanOrEqual(128);
      expect(candidateProbability(t, b), `t=${t}`).toBeGreaterThanOrEqual(0.97);
    }
    const b = chooseBanding(0.8, 128);
    expect(b).toEqual({ bands: 5, rows: 3 });
    console.log(`S-curve for 0.8 (b=${b.bands}, r=${b.rows}): ` + [0.1, 0.3, 0.5, 0.7, 0.8, 0.85, 0.9].map((s) => `P(${s})=${candidateProbability(s, b).toFixed(3)}`).join(' '));
    // Texts that share little are rarely candidates (each one costs a signature comparison).
    expect(candidateProbability(0.1, b)).toBeLessThan(0.01);
    expect(candidateProbability(0.3, b)).toBeLessThan(0.15);
  });
});

describe('NearDuplicateIndex', () => {
  const index = (): NearDuplicateIndex => new NearDuplicateIndex(nearDuplicateOptions(parseValidationConfig({})));

  it('estimates Jaccard without bias, with the spread b-bit MinHash theory predicts', () => {
    const rng = new Rng(11);
    const errors: number[] = [];
    let predictedVariance = 0;
    const K = 128;
    const C = 2 ** -SIGNATURE_BITS; // chance agreement of two different b-bit values
    for (let p = 0; p < 200; p++) {
      const a = paragraph(rng, rng.int(6, 12));
      const words = a.split(' ');
      for (let e = rng.int(1, 6); e > 0; e--) words[rng.int(1, words.length - 2)] = randomWord(rng);
      const b = words.join(' ');
      const ix = index();
      const [x, y] = [ix.add(normalizeText(a)), ix.add(normalizeText(b))];
      const j = jaccard(shingleSet(a, 5), shingleSet(b, 5));
      errors.push(ix.similarity(x, y) - j);
      // σ² = P(1 − P)/K/(1 − C)² with P = J + (1 − J)·C, the chance that one bin agrees.
      const agree = j + (1 - j) * C;
      predictedVariance += (agree * (1 - agree)) / K / (1 - C) ** 2;
    }
    const mean = errors.reduce((s, e) => s + e, 0) / errors.length;
    const sd = Math.sqrt(errors.reduce((s, e) => s + (e - mean) ** 2, 0) / errors.length);
    const predicted = Math.sqrt(predictedVariance / errors.length);
    console.log(`MinHash K=${K}, ${SIGNATURE_BITS} bits per bin: bias ${mean.toFixed(4)}, sd ${sd.toFixed(4)} (theory ${predicted.toFixed(4)}) over ${errors.length} pairs`);
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(sd).toBeLessThan(predicted * 1.2);
  });

  it('keeps the estimate unbiased for a signature length that is not a power of two', () => {
    const rng = new Rng(12);
    const ix = new NearDuplicateIndex(nearDuplicateOptions(parseValidationConfig({ rules: { 'dup.near': { numPerm: 96 } } })));
    let sum = 0;
    for (let p = 0; p < 100; p++) {
      const a = paragraph(rng, 8);
      const b = paragraph(rng, 8);
      sum += ix.similarity(ix.add(normalizeText(a)), ix.add(normalizeText(b)));
    }
    expect(Math.abs(sum / 100)).toBeLessThan(0.01); // unrelated texts: Jaccard ≈ 0
  });

  it('is deterministic: the same texts give the same clusters on every run', () => {
    const rng = new Rng(3);
    const texts = Array.from({ length: 50 }, () => normalizeText(paragraph(rng, 8)));
    const run = (): number[] => {
      const ix = index();
      texts.forEach((t) => ix.add(t));
      ix.add(texts[0]!.replace(/^(\S+ \S+ \S+)/, '$1 extra'));
      return Array.from({ length: ix.size }, (_, i) => ix.clusterOf(i));
    };
    expect(run()).toEqual(run());
    expect(run()[50]).toBe(0);
  });

  it('tells a streaming keep-first dedup which records repeat an earlier one', () => {
    const rng = new Rng(4);
    const a = normalizeText(paragraph(rng, 12));
    const ix = index();
    const first = ix.add(a);
    const other = ix.add(normalizeText(paragraph(rng, 12)));
    const copy = ix.add(a.replace(/^(\S+ \S+)/, '$1 inserted'));
    expect([ix.repeatsEarlier(first), ix.repeatsEarlier(other), ix.repeatsEarlier(copy)]).toEqual([false, false, true]);
  });

  it('ignores texts without words', () => {
    expect(index().add('!!! ...')).toBe(-1);
  });
});

describe('dup.near', () => {
  it('clusters edited copies, leaves different texts alone, and does not recount exact duplicates', async () => {
    const rng = new Rng(5);
    const original = paragraph(rng, 12);
    const words = original.split(' ');
    words[20] = 'zeppelin';
    const edited = words.join(' ');
    const records = [
      { id: 'orig', text: original },
      { id: 'other', text: paragraph(rng, 12) },
      { id: 'edit', text: edited },
      { id: 'copy', text: original.toUpperCase() },
    ];
    const { findings } = await new Validator({ maxExamples: 10 }).run(records);
    expect(findings.find((f) => f.rule === 'dup.exact')).toMatchObject({ count: 1, examples: ['copy'] });
    const near = findings.find((f) => f.rule === 'dup.near');
    expect(near).toMatchObject({ count: 1, examples: ['edit'] });
    expect(near?.message).toContain('1 cluster');
  });

  it('stops indexing at maxRecords and says so', async () => {
    const rng = new Rng(8);
    const text = paragraph(rng, 10);
    const records = [paragraph(rng, 10), paragraph(rng, 10), text, text.replace(/^(\S+)/, '$1 extra')].map((t, id) => ({ id, text: t }));
    const capped = await new Validator({ rules: { 'dup.near': { maxRecords: 3 } } }).run(records);
    const near = capped.findings.find((f) => f.rule === 'dup.near');
    expect(near).toMatchObject({ count: 0, severity: 'info' });
    expect(near?.message).toContain('Only the first 3 records were searched');
    const full = await new Validator({}).run(records);
    expect(full.findings.find((f) => f.rule === 'dup.near')).toMatchObject({ count: 1, examples: [3] });
  });

  it('follows a configured threshold', async () => {
    const rng = new Rng(6);
    const original = paragraph(rng, 10);
    const words = original.split(' ');
    for (const at of [10, 25, 40, 55]) words[at] = 'zeppelin';
    const records = [original, words.join(' ')].map((text, id) => ({ id, text }));
    const j = jaccard(shingleSet(original, 5), shingleSet(records[1]!.text, 5));
    expect(j).toBeLessThan(0.75);
    const loose = await new Validator({ rules: { 'dup.near': { threshold: Math.max(0.3, j - 0.2) } } }).run(records);
    const strict = await new Validator({ rules: { 'dup.near': { threshold: 0.9 } } }).run(records);
    expect(loose.findings.find((f) => f.rule === 'dup.near')?.count).toBe(1);
    expect(strict.findings.find((f) => f.rule === 'dup.near')).toBeUndefined();
  });
});
