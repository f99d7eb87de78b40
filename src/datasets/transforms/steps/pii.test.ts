import { describe, expect, it } from 'vitest';
import { generatePlantedCorpus } from '../../testing/planted-corpus.js';
import { PII_KINDS, validateRecords } from '../../validation/index.js';
import { transformRows } from '../test-support.js';

const corpus = generatePlantedCorpus({ seed: 11, baseRecords: 200, exactCopies: 0, nearGroups: 0, nearMisses: 0, piiPerKind: 25, hardNegatives: 40, encodingPerKind: 0, blanks: 0 });
const rows = corpus.records.map((r) => ({ id: String(r.id), text: r.text }));

describe('pii', () => {
  it('masks every planted kind with its placeholder, and the masked output re-validates with no PII findings', async () => {
    const before = await validateRecords(rows.map((r) => ({ id: r.id, text: r.text })));
    const piiBefore = before.findings.filter((f) => f.rule.startsWith('pii.'));
    expect(piiBefore.map((f) => f.rule).sort()).toEqual(PII_KINDS.map((k) => `pii.${k}`).sort());
    const out = await transformRows('steps:\n  - pii: {action: mask}\n', rows);
    expect(out.rows).toHaveLength(rows.length);
    const byId = new Map(out.rows.map((r) => [r.id as string, r.text as string]));
    for (const kind of PII_KINDS) {
      const planted = [...corpus.truth[`pii.${kind}`]].map(String);
      const masked = planted.filter((id) => byId.get(id)!.includes(`[${kind.toUpperCase()}]`)).length;
      console.log(`pii mask ${kind}: ${masked}/${planted.length} planted records carry [${kind.toUpperCase()}]`);
      expect(masked / planted.length).toBeGreaterThanOrEqual(0.95);
    }
    const after = await validateRecords(out.rows.map((r) => ({ id: r.id as string, text: r.text as string })));
    expect(after.findings.filter((f) => f.rule.startsWith('pii.'))).toEqual([]);
  });

  it('drop removes the records with PII of the chosen kinds and keeps the rest untouched', async () => {
    const out = await transformRows('steps:\n  - pii: {action: drop, kinds: [email, card]}\n', rows);
    const kept = new Set(out.rows.map((r) => r.id));
    for (const id of corpus.truth['pii.email']) expect(kept.has(String(id))).toBe(false);
    for (const id of corpus.truth['pii.card']) expect(kept.has(String(id))).toBe(false);
    const phones = [...corpus.truth['pii.phone']].map(String).filter((id) => kept.has(id));
    expect(phones.length).toBeGreaterThan(20);
    const original = new Map(rows.map((r) => [r.id, r.text]));
    for (const r of out.rows) expect(r.text).toBe(original.get(r.id as string));
  });
});
