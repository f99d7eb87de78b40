import { describe, expect, it } from 'vitest';
import { cardNetwork, findCards } from './card.js';
import { luhnValid } from './luhn.js';

const found = (text: string): string[] => findCards(text).map((s) => text.slice(s.start, s.end));

describe('luhnValid', () => {
  it('accepts the published test numbers and rejects a changed digit', () => {
    for (const n of ['4111111111111111', '5500000000000004', '378282246310005', '6011111111111117', '3530111333300000', '4222222222222']) {
      expect(luhnValid(n), n).toBe(true);
    }
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(luhnValid('378282246310006')).toBe(false);
  });
});

describe('findCards', () => {
  it('finds Luhn-valid numbers of known networks, grouped or not', () => {
    for (const n of ['4111 1111 1111 1111', '4111-1111-1111-1111', '4111111111111111', '5500 0000 0000 0004', '2221 0000 0000 0009', '3782 822463 10005', '6011 1111 1111 1117', '3530 1113 3330 0000']) {
      expect(found(`Card ${n}, thanks.`), n).toEqual([n]);
    }
    expect(cardNetwork('378282246310005')).toBe('amex');
  });

  it('ignores Luhn-invalid runs, unknown prefixes, mixed separators, longer runs and IBAN digit groups', () => {
    const negatives = [
      '4111 1111 1111 1112', // Luhn-invalid
      '1234 5678 9012 3452', // Luhn-valid but no network starts with 1
      '4111 1111-1111 1111', // mixed separators
      '41111111111111110000', // 20 digits
      'order 12 4111 1111 1111 1111 42', // one run of 20 digits: a reference, not a card
      'DE02 0676 3040 0711 3088 05', // the groups of an IBAN
      '2024-03-15',
    ];
    for (const n of negatives) expect(found(`Ref ${n} here.`), n).toEqual([]);
  });
});
