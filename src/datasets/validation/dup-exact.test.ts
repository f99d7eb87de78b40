import { describe, expect, it } from 'vitest';
import { normalizeText } from './normalize.js';
import { Validator } from './validator.js';

describe('normalizeText', () => {
  it('folds Unicode compatibility forms, case and whitespace', () => {
    expect(normalizeText('  The\u00A0ＦＯＸ\tﬁnds\n\nSTRASSE  ')).toBe('the fox finds strasse');
    expect(normalizeText('Straße')).toBe(normalizeText('STRASSE'));
  });
});

describe('dup.exact', () => {
  it('counts the records beyond the first of each group, with their ids', async () => {
    const records = ['Hello world', 'hello   WORLD', 'Other text', 'HELLO WORLD\n', 'other text', 'unique', '   ', ''].map((text, id) => ({ id, text }));
    const { findings } = await new Validator({ rules: { 'dup.near': { enabled: false } } }).run(records);
    const exact = findings.find((f) => f.rule === 'dup.exact');
    expect(exact).toMatchObject({ count: 3, examples: [1, 3, 4] });
    expect(exact?.message).toContain('2 groups');
  });
});
