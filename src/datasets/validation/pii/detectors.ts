/**
 * The PII detectors by kind, one place to find all spans in a text, and masking for the transform
 * step ("[EMAIL]", "[PHONE]", …).
 */
import { PII_KINDS, type PiiKind } from '../pii-kinds.js';
import { findCards } from './card.js';
import { findEmails } from './email.js';
import { findIbans } from './iban.js';
import { findIps } from './ip.js';
import { findPhones } from './phone.js';
import { DEFAULT_SECRET_OPTIONS, findSecrets, type SecretOptions } from './secret.js';
import type { PiiSpan } from './span.js';
import { findSsns } from './ssn.js';
import { couldContain } from './cues.js';
import { scanTextFacts, type TextFacts } from '../text-facts.js';

export type PiiDetector = (text: string) => PiiSpan[];

/** Detectors by kind, with default options. */
export function piiDetectors(secretOptions: SecretOptions = DEFAULT_SECRET_OPTIONS): Readonly<Record<PiiKind, PiiDetector>> {
  return {
    email: findEmails,
    phone: findPhones,
    card: findCards,
    iban: findIbans,
    ip: findIps,
    ssn: findSsns,
    secret: (text) => findSecrets(text, secretOptions),
  };
}

const DEFAULT_DETECTORS = piiDetectors();

/**
 * Overlapping spans: the longer one wins (an IBAN's digit groups can pass for a card, a private
 * key block can contain anything), and at equal length the more specific shape.
 */
const PRIORITY: Readonly<Record<PiiKind, number>> = { secret: 0, card: 1, iban: 2, email: 3, ssn: 4, ip: 5, phone: 6 };

/**
 * All PII spans of the given kinds, sorted by start, overlaps resolved by length then priority.
 * `facts` (scanTextFacts of the same text; computed here when left out) lets a detector be
 * skipped when the text lacks a character its every match needs.
 */
export function findPii(text: string, kinds: readonly PiiKind[] = PII_KINDS, detectors = DEFAULT_DETECTORS, facts?: TextFacts): PiiSpan[] {
  const f = facts ?? scanTextFacts(text);
  const all: PiiSpan[] = [];
  for (const k of kinds) {
    if (!couldContain(k, f)) continue;
    const found = detectors[k](text);
    for (const span of found) all.push(span);
  }
  if (all.length <= 1) return all;
  all.sort((a, b) => b.end - b.start - (a.end - a.start) || PRIORITY[a.kind] - PRIORITY[b.kind] || a.start - b.start);
  const kept: PiiSpan[] = [];
  for (const s of all) {
    if (!kept.some((k) => s.start < k.end && k.start < s.end)) kept.push(s);
  }
  return kept.sort((a, b) => a.start - b.start);
}

/** Replace every PII span of the given kinds with its placeholder ("[EMAIL]", "[PHONE]", …). @example maskPii('mail a@b.io', ['email']) // 'mail [EMAIL]' */
export function maskPii(text: string, kinds: readonly PiiKind[] = PII_KINDS): string {
  const spans = findPii(text, kinds);
  if (spans.length === 0) return text;
  let out = '';
  let at = 0;
  for (const s of spans) {
    out += text.slice(at, s.start) + `[${s.kind.toUpperCase()}]`;
    at = s.end;
  }
  return out + text.slice(at);
}
