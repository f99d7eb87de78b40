import { describe, expect, it } from 'vitest';
import { findSsns } from './ssn.js';

const found = (text: string): string[] => findSsns(text).map((s) => text.slice(s.start, s.end));

describe('findSsns', () => {
  it('finds issuable SSNs', () => {
    expect(found('SSN 123-45-6789 and 665-01-0001.')).toEqual(['123-45-6789', '665-01-0001']);
  });

  it('ignores areas 000/666/9xx, group 00, serial 0000 and other dash shapes', () => {
    for (const t of ['000-12-3456', '666-12-3456', '912-34-5678', '123-00-4567', '123-45-0000', '2024-03-15', '415-555-2671', '123-45-67890', '1123-45-6789']) {
      expect(found(`id ${t} ok`), t).toEqual([]);
    }
  });
});
