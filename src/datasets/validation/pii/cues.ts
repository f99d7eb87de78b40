/**
 * What every match of each PII kind needs, as cheap tests on a text's facts (text-facts.ts): a
 * detector whose cue is absent cannot match, so skipping it changes no result. The digit counts
 * are each detector's own minimum (phone 8, card 13, SSN 9 ASCII digits).
 */
import type { PiiKind } from '../config.js';
import { AT, COLON, DASH, DOT, IBAN_START, LONG_TOKEN, type TextFacts } from '../text-facts.js';

/** False when no match of `kind` can occur in `text`. */
export function couldContain(kind: PiiKind, text: string, facts: TextFacts): boolean {
  const { flags, digits } = facts;
  switch (kind) {
    case 'email':
      return (flags & AT) !== 0;
    case 'phone':
      return digits >= 8;
    case 'card':
      return digits >= 13;
    case 'iban':
      return (flags & IBAN_START) !== 0;
    case 'ip':
      // IPv4: four octets and dots; IPv6: at least two colons (its full form can be hex letters only).
      return ((flags & DOT) !== 0 && digits >= 4) || (flags & COLON) !== 0;
    case 'ssn':
      return (flags & DASH) !== 0 && digits >= 9;
    case 'secret':
      // Keys, secrets and tokens are long runs of token characters; PEM blocks and JWTs have literal starts.
      return (flags & LONG_TOKEN) !== 0 || text.includes('eyJ') || text.includes('-----BEGIN');
  }
}
