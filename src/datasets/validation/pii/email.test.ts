import { describe, expect, it } from 'vitest';
import { findEmails } from './email.js';

const found = (text: string): string[] => findEmails(text).map((s) => text.slice(s.start, s.end));

describe('findEmails', () => {
  it('finds addresses in their common forms', () => {
    expect(found('Write to jane.doe@example.com today.')).toEqual(['jane.doe@example.com']);
    expect(found('Tags: bob+news@mail.example.co.uk, ADA_LOVELACE@EXAMPLE.ORG.')).toEqual(['bob+news@mail.example.co.uk', 'ADA_LOVELACE@EXAMPLE.ORG']);
    expect(found('<user123@uni-berlin.de>')).toEqual(['user123@uni-berlin.de']);
  });

  it('ignores look-alikes: handles, asset names, spelled-out addresses, hosts without a TLD', () => {
    for (const text of ['ping @channel now', 'icon@2x.png is missing', 'mail me at jane at example dot com', 'root@localhost', 'a@b', 'price @ 5 euros']) {
      expect(found(text), text).toEqual([]);
    }
  });
});
