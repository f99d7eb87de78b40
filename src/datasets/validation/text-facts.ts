/**
 * One pass over a record's UTF-16 code units that tells the rules which of their checks could
 * possibly match, so that a regex runs only when a cheap character test says it might. Each flag
 * is a necessary condition of a rule (never a heuristic): a rule that skips its regex on a
 * missing flag reports exactly what it would have reported by running it.
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
/** Two ASCII capitals followed by two digits: the start of an IBAN. */
export const IBAN_START = 1 << 8;
/**
 * A run of ≥ 16 characters of [A-Za-z0-9_\-+/=]: every secret shape but PEM blocks and JWTs
 * (which have their own literal cues) is such a run (AWS key ids 20, AWS secrets 40, tokens ≥ 16).
 */
export const LONG_TOKEN = 1 << 9;
/** Whitespace that normalization would change: not a single ' ' between two visible characters. */
export const ODD_SPACE = 1 << 10;

/** Facts about one text: the flags above and the number of ASCII digits. */
export interface TextFacts {
  flags: number;
  digits: number;
}

const TOKEN_RUN = 16;

// Per ASCII code unit: bit 0 digit, bit 1 token char [A-Za-z0-9_\-+/=], bit 2 upper-case letter,
// bit 3 JS whitespace (\t \n \v \f \r and space), bit 4 control (C0 but \t \n \r, and DEL).
const DIGIT_C = 1;
const TOKEN_C = 2;
const UPPER_C = 4;
const SPACE_C = 8;
const CONTROL_C = 16;
const CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[0-9]/.test(ch)) CLASS[c]! |= DIGIT_C;
  if (/[A-Za-z0-9_\-+/=]/.test(ch)) CLASS[c]! |= TOKEN_C;
  if (/[A-Z]/.test(ch)) CLASS[c]! |= UPPER_C;
  if (/\s/.test(ch)) CLASS[c]! |= SPACE_C;
  if ((c < 32 && c !== 9 && c !== 10 && c !== 13) || c === 127) CLASS[c]! |= CONTROL_C;
}

/** Scans `text` once into `out` (reused across records to avoid an allocation each). */
export function scanTextFacts(text: string, out: TextFacts = { flags: 0, digits: 0 }): TextFacts {
  let flags = 0;
  let digits = 0;
  let tokenRun = 0;
  // Capitals then digits seen just before this position, for the IBAN start (CCdd).
  let upperRun = 0;
  let digitsAfterUpper = 0;
  let prevSpace = true; // a leading space is odd
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 128) {
      flags |= NON_ASCII;
      if (c <= 0x9f) flags |= CONTROL;
      else if (c === 0xfffd) flags |= REPLACEMENT;
      else if (c === 0xc2 || c === 0xc3 || (c >= 0xe0 && c <= 0xef)) flags |= MOJIBAKE_LEAD;
      // Non-ASCII text is normalized by the full Unicode path, which needs no whitespace fact.
      tokenRun = 0;
      upperRun = 0;
      digitsAfterUpper = 0;
      prevSpace = false;
      continue;
    }
    const k = CLASS[c]!;
    if (k & TOKEN_C) {
      if (++tokenRun >= TOKEN_RUN) flags |= LONG_TOKEN;
    } else tokenRun = 0;
    if (k & DIGIT_C) {
      digits++;
      if (upperRun >= 2 && ++digitsAfterUpper === 2) flags |= IBAN_START;
    } else if (k & UPPER_C) {
      if (digitsAfterUpper > 0) upperRun = 0;
      upperRun++;
      digitsAfterUpper = 0;
    } else {
      upperRun = 0;
      digitsAfterUpper = 0;
    }
    if (k & CONTROL_C) flags |= CONTROL; // before the whitespace test: \v and \f are both
    if (k & SPACE_C) {
      if (c !== 32 || prevSpace) flags |= ODD_SPACE;
      prevSpace = true;
      continue;
    }
    prevSpace = false;
    if (c === 64) flags |= AT;
    else if (c === 46) flags |= DOT;
    else if (c === 58) flags |= COLON;
    else if (c === 45) flags |= DASH;
  }
  if (prevSpace && n > 0) flags |= ODD_SPACE; // a trailing space
  out.flags = flags;
  out.digits = digits;
  return out;
}
