/**
 * Text normalization shared by exact and near duplicate detection: two texts that differ only by
 * Unicode compatibility forms, letter case or whitespace are the same text.
 */

const WHITESPACE_RUN = /\s+/g;

const NON_ASCII = /[^\u0000-\u007F]/;
// Anything the whitespace collapse would change: a run of two, or a tab/newline/etc.
const UNUSUAL_WHITESPACE = /\s\s|[^\S ]/;

/** NFKC, case-folded (lower case after upper case, so that ß/ẞ and friends fold alike), whitespace collapsed, trimmed. */
export function normalizeText(text: string): string {
  if (!NON_ASCII.test(text)) {
    // ASCII is its own NFKC form and folds by lower-casing: skip the two Unicode passes.
    const lower = text.toLowerCase();
    return (UNUSUAL_WHITESPACE.test(lower) ? lower.replace(WHITESPACE_RUN, ' ') : lower).trim();
  }
  // toUpperCase().toLowerCase() is a cheap approximation of Unicode full case folding.
  return text.normalize('NFKC').toUpperCase().toLowerCase().replace(WHITESPACE_RUN, ' ').trim();
}

const WORD = /[\p{L}\p{N}]+/gu;

/** Words of a normalized text: maximal runs of letters and digits (punctuation is not a word). */
export function wordsOf(normalized: string): string[] {
  return normalized.match(WORD) ?? [];
}
