/**
 * Phone numbers: international (+CC, 8–15 digits as E.164 allows) and the common national forms —
 * NANP "(415) 555-2671" / "415-555-2671" / "415.555.2671" / "1-800-555-0199", and trunk-prefixed
 * European/Asian numbers "020 7946 0958", "030 12345678", "01 23 45 67 89". A national number
 * must be written with separators: a bare run of ten digits is an order number as often as a phone.
 * Dates (8 digits), versions and IPv4 (dotted groups of ≤3), SSNs (9) and short local numbers
 * ("555-1234") fall outside these shapes.
 */
import { scan, type PiiSpan } from './span.js';

const PHONE_CANDIDATE = /(?<![\w+.\-/])(?:\+\d{8,15}|(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,5}\)[ .-]?)?\d{1,8}(?:[ .-]\d{1,8}){0,6})(?![\w]|[.\-/]\d)/g;

/** True when a candidate written like a phone number has the digits and grouping of one. */
export function isPhoneShaped(candidate: string): boolean {
  // Cheap rejection first: most candidates in prose are years and counts.
  let nDigits = 0;
  for (let i = 0; i < candidate.length; i++) {
    const c = candidate.charCodeAt(i);
    if (c >= 48 && c <= 57) nDigits++;
  }
  if (nDigits < 8 || nDigits > 15 || (candidate[0] !== '+' && (nDigits < 10 || nDigits > 11))) return false;
  const groups = candidate.match(/\d+/g) ?? [];
  const digits = groups.join('');
  const lengths = groups.map((g) => g.length);
  if (candidate.startsWith('+')) {
    if (digits.length < 8 || digits.length > 15) return false;
    // Dotted groups of at most three digits read as a version or an address, even after a '+'.
    if (!candidate.includes(' ') && !candidate.includes('-') && lengths.length >= 4 && lengths.every((n) => n <= 3)) return false;
    return groups.length >= 2 || digits.length >= 10;
  }
  if (groups.length < 2) return false;
  // One kind of separator between groups (the parenthesized area code aside).
  const separators = new Set(candidate.replace(/^\(\d+\)[ .-]?/, '').replace(/\d+/g, '|').split('|').filter((s) => s !== ''));
  if (separators.size > 1) return false;
  const nanp = digits.length === 10 && /^[2-9]\d\d[2-9]/.test(digits) && sameLengths(lengths, [3, 3, 4]);
  const nanpWithOne = digits.length === 11 && digits[0] === '1' && /^1[2-9]\d\d[2-9]/.test(digits) && sameLengths(lengths, [1, 3, 3, 4]);
  const trunk = digits[0] === '0' && digits[1] !== '0' && digits.length >= 10 && digits.length <= 11 && lengths.every((n) => n >= 2);
  return nanp || nanpWithOne || trunk;
}

function sameLengths(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((n, i) => n === b[i]);
}

/** Phone numbers in a text. */
export function findPhones(text: string): PiiSpan[] {
  return scan(text, PHONE_CANDIDATE, 'phone', (m) => isPhoneShaped(m[0]));
}
