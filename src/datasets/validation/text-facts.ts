/**
 * Cheap facts about a record's text that tell the rules which of their checks could possibly
 * match, so that a costly regex runs only when a cheap test says it might. Each flag is a
 * necessary condition of a rule (never a heuristic): a rule that skips its regex on a missing flag
 * reports exactly what it would have reported by running it.
 *
 * The tests are native string searches (indexOf, single-class regexes), which V8 runs several
 * times faster than a JavaScript loop over the characters; the rare tests run only behind a
 * cheaper one that they imply (any unusual character, any secret keyword).
 */

/** Some code unit ≥ 0x80. */
export const NON_ASCII = 1 << 0;
/** A C0 control other than \t \n \r, DEL, or a C1 control (encoding.control_chars). */
export const CONTROL = 1 << 1;
/** U+FFFD (encoding.replacement_char). */
export const REPLACEMENT = 1 << 2;
/** Â, Ã or à–ï: every mojibake marker starts with one of them (encoding.mojibake). */
export const MOJIBAKE_LEAD = 1 << 3;
export const AT = 1 << 4;
export const DOT = 1 << 5;
export const COLON = 1 << 6;
export const DASH = 1 << 7;
/** An ASCII digit. */
export const DIGIT = 1 << 8;
/** Two ASCII capitals followed by two digits: the start of an IBAN. */
export const IBAN_START = 1 << 9;
/**
 * A cue of a secret: a PEM header, an AWS key id prefix, a JWT header start, or a secret keyword
 * together with a run of ≥ 16 token characters (what AWS secret keys and generic tokens are).
 */
export const SECRET_CUE = 1 << 10;

/** Facts about one text. */
export interface TextFacts {
  flags: number;
}

// Anything but printable ASCII, tab, newline and carriage return: the gate of the rare flags.
const UNUSUAL = /[^\x20-\x7e\t\n\r]/;
const NON_ASCII_RE = /[^\x00-\x7f]/;
const CONTROL_RE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;
const MOJIBAKE_LEAD_RE = /[\u00C2\u00C3\u00E0-\u00EF]/;
const DIGIT_RE = /\d/;
const IBAN_START_RE = /[A-Z]{2}\d\d/;
// The keywords that the keyword-bound secret detectors (secret.ts) require near a token.
const SECRET_WORD = /key|token|secret|passw|pwd|credential|auth|aws/i;
const LONG_TOKEN = /(?:^|[^A-Za-z0-9_\-+/=])[A-Za-z0-9_\-+/=]{16}/;

/** Computes the facts of `text` into `out` (reused across records to avoid an allocation each). */
export function scanTextFacts(text: string, out: TextFacts = { flags: 0 }): TextFacts {
  let flags = 0;
  if (UNUSUAL.test(text)) {
    if (NON_ASCII_RE.test(text)) flags |= NON_ASCII;
    if (CONTROL_RE.test(text)) flags |= CONTROL;
    if (text.includes('\uFFFD')) flags |= REPLACEMENT;
    if (MOJIBAKE_LEAD_RE.test(text)) flags |= MOJIBAKE_LEAD;
  }
  if (text.indexOf('@') >= 0) flags |= AT;
  if (text.indexOf('.') >= 0) flags |= DOT;
  if (text.indexOf(':') >= 0) flags |= COLON;
  if (text.indexOf('-') >= 0) flags |= DASH;
  if (DIGIT_RE.test(text)) {
    flags |= DIGIT;
    if (IBAN_START_RE.test(text)) flags |= IBAN_START;
  }
  if (
    ((flags & DASH) !== 0 && text.includes('-----BEGIN')) ||
    text.includes('AKIA') ||
    text.includes('ASIA') ||
    text.includes('eyJ') ||
    (SECRET_WORD.test(text) && LONG_TOKEN.test(text))
  ) {
    flags |= SECRET_CUE;
  }
  out.flags = flags;
  return out;
}
