/**
 * Payment card numbers: 13–19 digits, optionally grouped by one kind of separator, with a known
 * issuer prefix (IIN) of the right length for that network, and a valid Luhn check digit. The
 * three checks together make a random digit run a card by accident about once in a few hundred.
 */
import { luhnValid } from './luhn.js';
import { scan, type PiiSpan } from './span.js';

// Digits in groups separated by single spaces or dashes; not glued to other digits or words.
const CARD_CANDIDATE = /(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w]|-\d)/g;

interface Network {
  name: string;
  prefix: (d: string) => boolean;
  lengths: readonly number[];
}

const between = (d: string, len: number, lo: number, hi: number): boolean => {
  const p = Number(d.slice(0, len));
  return p >= lo && p <= hi;
};

/** Issuer ranges per network (ISO/IEC 7812 assignments as published by the networks). */
const NETWORKS: readonly Network[] = [
  { name: 'visa', prefix: (d) => d[0] === '4', lengths: [13, 16, 19] },
  { name: 'mastercard', prefix: (d) => between(d, 2, 51, 55) || between(d, 4, 2221, 2720), lengths: [16] },
  { name: 'amex', prefix: (d) => between(d, 2, 34, 34) || between(d, 2, 37, 37), lengths: [15] },
  { name: 'discover', prefix: (d) => d.startsWith('6011') || d.startsWith('65') || between(d, 3, 644, 649), lengths: [16, 17, 18, 19] },
  { name: 'diners', prefix: (d) => between(d, 3, 300, 305) || d.startsWith('36') || between(d, 2, 38, 39), lengths: [14, 15, 16, 17, 18, 19] },
  { name: 'jcb', prefix: (d) => between(d, 4, 3528, 3589), lengths: [16, 17, 18, 19] },
  { name: 'unionpay', prefix: (d) => d.startsWith('62'), lengths: [16, 17, 18, 19] },
  // Maestro's published ranges are narrow; "any 5x/6x" would make every long digit run a candidate.
  { name: 'maestro', prefix: (d) => ['5018', '5020', '5038', '5893', '6304', '6759', '6761', '6762', '6763'].some((p) => d.startsWith(p)), lengths: [12, 13, 14, 15, 16, 17, 18, 19] },
];

/** The card network a digit string belongs to by prefix and length, if any. */
export function cardNetwork(digits: string): string | undefined {
  return NETWORKS.find((n) => n.lengths.includes(digits.length) && n.prefix(digits))?.name;
}

/** True when the separators of a candidate are all the same (or absent): "4111 1111-1111 1111" is not a card. */
function consistentSeparators(candidate: string): boolean {
  return !(candidate.includes(' ') && candidate.includes('-'));
}

/** True when a digit string is a card number: known issuer prefix and length, valid Luhn digit. */
export function isCardNumber(digits: string): boolean {
  return cardNetwork(digits) !== undefined && luhnValid(digits);
}

// The tail of an IBAN written in groups ("DE89 3704 …"): its digits are an account, not a card.
const IBAN_PREFIX = /[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4})* ?$/;

/**
 * Payment card numbers (Luhn-checked, known issuer prefix) in a text. The whole digit run must be
 * the card: a valid 16-digit window inside a longer run of groups is an account or reference
 * number far more often than a card.
 */
export function findCards(text: string): PiiSpan[] {
  return scan(text, CARD_CANDIDATE, 'card', (m) => {
    if (!consistentSeparators(m[0])) return false;
    if (IBAN_PREFIX.test(text.slice(Math.max(0, m.index - 40), m.index))) return false;
    return isCardNumber(m[0].replace(/[ -]/g, ''));
  });
}
