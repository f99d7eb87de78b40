/**
 * IBANs (ISO 13616): a country code, two check digits and a national account number whose length
 * is fixed per country, written compact or in groups of four; valid when mod 97 of the rearranged
 * number is 1.
 */
import type { PiiSpan } from './span.js';

/** IBAN length per country (SWIFT IBAN registry). */
export const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BR: 29, BY: 28, CH: 21,
  CR: 22, CY: 28, CZ: 24, DE: 22, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18, FO: 18, FR: 27,
  GB: 22, GE: 22, GI: 23, GL: 18, GR: 27, GT: 28, HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26,
  IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20, LU: 20, LV: 21, MC: 27, MD: 24,
  ME: 22, MK: 19, MR: 27, MT: 31, MU: 30, NL: 18, NO: 15, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29,
  RO: 24, RS: 22, SA: 24, SC: 31, SE: 24, SI: 19, SK: 24, SM: 27, ST: 25, SV: 28, TL: 23, TN: 24,
  TR: 26, UA: 29, VA: 22, VG: 24, XK: 20,
};

/** True when a compact IBAN (no spaces, upper case) has its country's length and a valid mod-97 checksum. */
export function isValidIban(iban: string): boolean {
  if (IBAN_LENGTHS[iban.slice(0, 2)] !== iban.length || !/^[A-Z]{2}\d{2}[A-Z0-9]+$/.test(iban)) return false;
  return ibanMod97(iban) === 1;
}

/** mod 97 of the IBAN rearranged (first four characters moved to the end, letters as 10..35), digit by digit. */
export function ibanMod97(iban: string): number {
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let rem = 0;
  for (let i = 0; i < rearranged.length; i++) {
    const c = rearranged.charCodeAt(i);
    if (c >= 48 && c <= 57) rem = (rem * 10 + (c - 48)) % 97;
    else rem = (rem * 100 + (c - 55)) % 97; // 'A' (65) → 10
  }
  return rem;
}

const IBAN_START = /(?<![A-Za-z0-9])([A-Z]{2})(\d{2})/g;
const ALNUM = /[A-Z0-9]/;

/**
 * IBANs in a text. From each "CCdd" start, collect exactly the country's length in characters,
 * allowing single spaces between them (the printed form), so that a following capitalized word
 * is never swallowed; then require a boundary and a valid checksum.
 */
export function findIbans(text: string): PiiSpan[] {
  const spans: PiiSpan[] = [];
  IBAN_START.lastIndex = 0;
  for (let m = IBAN_START.exec(text); m !== null; m = IBAN_START.exec(text)) {
    const length = IBAN_LENGTHS[m[1]!];
    if (length === undefined) continue;
    let compact = m[0];
    let i = m.index + 4;
    while (compact.length < length && i < text.length) {
      const ch = text[i]!;
      if (ALNUM.test(ch)) {
        compact += ch;
        i++;
      } else if (ch === ' ' && i + 1 < text.length && ALNUM.test(text[i + 1]!)) {
        i++;
      } else break;
    }
    if (compact.length !== length || (i < text.length && /[A-Za-z0-9]/.test(text[i]!))) continue;
    if (ibanMod97(compact) !== 1) continue;
    spans.push({ kind: 'iban', start: m.index, end: i });
    IBAN_START.lastIndex = i;
  }
  return spans;
}
