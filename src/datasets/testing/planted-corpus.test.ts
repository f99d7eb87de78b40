import { describe, expect, it } from 'vitest';
import { isCardNumber } from '../validation/pii/card.js';
import { isValidIban } from '../validation/pii/iban.js';
import { generatePlantedCorpus } from './planted-corpus.js';
import { luhnCheckDigit, makeIban } from './pii-samples.js';

describe('generatePlantedCorpus', () => {
  const small = { baseRecords: 300, exactCopies: 20, nearGroups: 10, nearMisses: 5, piiPerKind: 5, hardNegatives: 20 };

  it('is deterministic for a seed and differs across seeds', () => {
    const a = generatePlantedCorpus({ ...small, seed: 9 });
    const b = generatePlantedCorpus({ ...small, seed: 9 });
    const c = generatePlantedCorpus({ ...small, seed: 10 });
    expect(a.records).toEqual(b.records);
    expect(a.records).not.toEqual(c.records);
  });

  it('plants every kind, with near-duplicates and near-misses on their side of the threshold', () => {
    const corpus = generatePlantedCorpus({ ...small, seed: 1 });
    for (const [kind, ids] of Object.entries(corpus.truth)) expect(ids.size, kind).toBeGreaterThan(0);
    expect(Math.min(...corpus.plantedSimilarities.nearDuplicates)).toBeGreaterThanOrEqual(0.85);
    expect(Math.max(...corpus.plantedSimilarities.nearMisses)).toBeLessThanOrEqual(0.72);
    expect(new Set(corpus.records.map((r) => r.id)).size).toBe(corpus.records.length);
  });

  it('makes cards and IBANs with valid checksums', () => {
    expect(isCardNumber('411111111111111' + luhnCheckDigit('411111111111111'))).toBe(true);
    expect(makeIban('DE', '370400440532013000')).toBe('DE89370400440532013000');
    expect(isValidIban(makeIban('GB', 'WEST12345698765432'))).toBe(true);
  });
});
