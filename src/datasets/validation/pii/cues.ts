/**
 * What every match of each PII kind needs, as tests on a text's facts (text-facts.ts): a detector
 * whose cue is absent cannot match, so skipping it changes no result.
 */
import type { PiiKind } from '../config.js';
import { AT, COLON, DASH, DIGIT, DOT, IBAN_START, SECRET_CUE, type TextFacts } from '../text-facts.js';

/** False when no match of `kind` can occur in a text with these facts. */
export function couldContain(kind: PiiKind, facts: TextFacts): boolean {
  const flags = facts.flags;
  switch (kind) {
    case 'email':
      return (flags & AT) !== 0;
    case 'phone':
    case 'card':
      return (flags & DIGIT) !== 0;
    case 'iban':
      return (flags & IBAN_START) !== 0;
    case 'ip':
      // IPv4: digits and dots; IPv6: colons (its full form can be hex letters only).
      return ((flags & DOT) !== 0 && (flags & DIGIT) !== 0) || (flags & COLON) !== 0;
    case 'ssn':
      return (flags & DASH) !== 0 && (flags & DIGIT) !== 0;
    case 'secret':
      return (flags & SECRET_CUE) !== 0;
  }
}
