import { describe, expect, it } from 'vitest';
import { findIbans, ibanMod97, isValidIban } from './iban.js';

const found = (text: string): string[] => findIbans(text).map((s) => text.slice(s.start, s.end));

describe('IBAN checksum', () => {
  it('validates published examples', () => {
    for (const iban of ['DE89370400440532013000', 'GB82WEST12345698765432', 'FR1420041010050500013M02606', 'NL91ABNA0417164300', 'CH9300762011623852957', 'BE68539007547034']) {
      expect(isValidIban(iban), iban).toBe(true);
      expect(ibanMod97(iban)).toBe(1);
    }
  });

  it('rejects a wrong check digit, a wrong length and an unknown country', () => {
    expect(isValidIban('DE89370400440532013001')).toBe(false);
    expect(isValidIban('DE8937040044053201300')).toBe(false);
    expect(isValidIban('XX89370400440532013000')).toBe(false);
  });
});

describe('findIbans', () => {
  it('finds compact and grouped IBANs without swallowing the next word', () => {
    expect(found('Pay DE89 3704 0044 0532 0130 00 today')).toEqual(['DE89 3704 0044 0532 0130 00']);
    expect(found('IBAN: GB82WEST12345698765432 THEN stop')).toEqual(['GB82WEST12345698765432']);
    expect(found('to FR14 2004 1010 0505 0001 3M02 606.')).toEqual(['FR14 2004 1010 0505 0001 3M02 606']);
  });

  it('ignores bad checksums, wrong lengths and look-alike codes', () => {
    for (const t of ['DE89 3704 0044 0532 0130 01', 'DE89 3704 0044 0532 0130 0012', 'Flight LH12 3456 to Oslo', 'XY12 3456 7890 1234']) expect(found(t), t).toEqual([]);
  });
});
