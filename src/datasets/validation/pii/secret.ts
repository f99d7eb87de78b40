/**
 * Secrets: AWS access key ids, AWS secret access keys (40 base64 characters near an AWS/secret
 * word), PEM private key blocks, JWTs (whose header decodes to JSON with "alg"), and generic
 * high-entropy tokens assigned to a key/token/secret/password word. Each kind has a shape specific
 * enough, or a keyword requirement, to keep prose, hashes and identifiers out.
 */
import { shannonEntropy } from './entropy.js';
import { scan, type PiiSpan } from './span.js';

export interface SecretOptions {
  /** Bits per character a generic token must reach. */
  minEntropy: number;
  /** Characters a generic token must have. */
  minTokenLength: number;
}

export const DEFAULT_SECRET_OPTIONS: SecretOptions = { minEntropy: 3.5, minTokenLength: 20 };

const AWS_KEY_ID = /(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])/g;
const AWS_SECRET = /(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g;
const AWS_WORD = /aws|secret/i;
// The body is bounded (an RSA-8192 PEM is under 7 KB) so that many BEGIN lines without an END
// cannot make the search quadratic.
const PRIVATE_KEY = /-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY-----(?:[\s\S]{0,8192}?-----END \1PRIVATE KEY-----)?/g;
const JWT = /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}(?![A-Za-z0-9_-])/g;
const TOKEN = /(?<![A-Za-z0-9_\-+/=])[A-Za-z0-9_\-+/=]{16,}(?![A-Za-z0-9_\-+/=])/g;
const SECRET_WORD = /(?:key|token|secret|passw(?:or)?d|pwd|credential|auth)s?["']?\s*(?:[:=]|=>|is|was)?\s*["'`]?\s*$/i;

/** True when `before` (the text just ahead of a token) ends with a key/token/secret/password assignment. */
function assignedToSecretWord(text: string, start: number): boolean {
  return SECRET_WORD.test(text.slice(Math.max(0, start - 40), start));
}

/** True when a token mixes character classes: letters of both cases or letters and digits. */
function mixedClasses(token: string): boolean {
  const lower = /[a-z]/.test(token);
  const upper = /[A-Z]/.test(token);
  const digit = /[0-9]/.test(token);
  return digit && (lower || upper) ? true : lower && upper && /[^A-Za-z]/.test(token);
}

/** AWS secret keys are 40 random base64 characters: both letter cases, unlike hex digests. */
function bothCases(token: string): boolean {
  return /[a-z]/.test(token) && /[A-Z]/.test(token);
}

function decodesToJwtHeader(part: string): boolean {
  try {
    const header: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof header === 'object' && header !== null && 'alg' in header;
  } catch {
    return false;
  }
}

/** True when a token looks random enough to be a credential: long, mixed classes, high entropy. */
export function isHighEntropyToken(token: string, options: SecretOptions = DEFAULT_SECRET_OPTIONS): boolean {
  return token.length >= options.minTokenLength && mixedClasses(token) && shannonEntropy(token) >= options.minEntropy;
}

/** Secrets (AWS keys, private key blocks, JWTs, high-entropy tokens after a secret word) in a text. */
export function findSecrets(text: string, options: SecretOptions = DEFAULT_SECRET_OPTIONS): PiiSpan[] {
  if (!ANY_SECRET_SIGN.test(text)) return [];
  const spans: PiiSpan[] = [];
  if (text.includes('-----BEGIN')) spans.push(...scan(text, PRIVATE_KEY, 'secret', () => true));
  if (text.includes('AKIA') || text.includes('ASIA')) spans.push(...scan(text, AWS_KEY_ID, 'secret', () => true));
  if (text.includes('eyJ')) spans.push(...scan(text, JWT, 'secret', (m) => decodesToJwtHeader(m[0].slice(0, m[0].indexOf('.')))));
  if (!ANY_SECRET_WORD.test(text)) return withoutOverlaps(spans);
  if (AWS_WORD.test(text)) {
    spans.push(...scan(text, AWS_SECRET, 'secret', (m) => bothCases(m[0]) && /\d/.test(m[0]) && AWS_WORD.test(text.slice(Math.max(0, m.index - 80), m.index))));
  }
  if (SECRET_WORD_ANYWHERE.test(text)) {
    spans.push(...scan(text, TOKEN, 'secret', (m) => assignedToSecretWord(text, m.index) && isHighEntropyToken(m[0], options)));
  }
  return withoutOverlaps(spans);
}

/** The same secret can match two shapes (an AWS key id after "key:"): keep the longest of overlapping spans. */
function withoutOverlaps(spans: PiiSpan[]): PiiSpan[] {
  if (spans.length < 2) return spans;
  spans.sort((a, b) => a.start - b.start || b.end - a.end);
  const out: PiiSpan[] = [];
  for (const s of spans) {
    const last = out[out.length - 1];
    if (last !== undefined && s.start < last.end) {
      if (s.end - s.start > last.end - last.start) out[out.length - 1] = s;
    } else out.push(s);
  }
  return out;
}

const SECRET_WORD_ANYWHERE = /key|token|secret|passw|pwd|credential|auth/i;
// One pass over the text decides whether either keyword-bound detector needs to run at all.
const ANY_SECRET_WORD = /key|token|secret|passw|pwd|credential|auth|aws/i;
// One pass over the text decides whether any detector needs to run (a superset of their cues).
const ANY_SECRET_SIGN = /-----BEGIN|AKIA|ASIA|eyJ|key|token|secret|passw|pwd|credential|auth|aws/i;
