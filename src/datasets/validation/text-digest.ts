/**
 * What the duplicate rules need from a record, in one pass over its characters: the 64-bit hash
 * of its normalized text (dup.exact) and the hashes of its normalized words (dup.near). For ASCII
 * text, normalization (lower case, whitespace runs to one space, trimmed) is applied on the fly
 * into a reused buffer of code units while the words are hashed, so no normalized string is
 * built; the result is exactly
 * `hashString64(normalizeText(text))` and `hashWords(normalizeText(text), seed)`, which the
 * Unicode path computes literally.
 */
import { fmix32, hashString64 } from './hash32.js';
import { normalizeText } from './normalize.js';
import { hashWords, U32Buffer } from './shingles.js';

// Per ASCII code unit: its lower-case form, with bit 8 set for JS whitespace and bit 9 for a
// word character ([a-z0-9] after lower-casing).
const SPACE_BIT = 1 << 8;
const WORD_BIT = 1 << 9;
const UNIT = new Uint16Array(128);
for (let c = 0; c < 128; c++) {
  const lower = String.fromCharCode(c).toLowerCase().charCodeAt(0);
  UNIT[c] = lower | (/\s/.test(String.fromCharCode(c)) ? SPACE_BIT : 0) | (/[a-z0-9]/.test(String.fromCharCode(lower)) ? WORD_BIT : 0);
}

/** Reusable per-record digest; `compute` overwrites it. */
export class TextDigest {
  /** hashString64 of the normalized text: [hi, lo]. */
  readonly hash = new Uint32Array(2);
  /** Word hashes of the normalized text (when asked for). */
  readonly words = new U32Buffer();

  /** Digest `text`; with `wordSeed` undefined the word hashes are left empty. */
  compute(text: string, wordSeed: number | undefined): void {
    if (digestAscii(text, this.hash, wordSeed === undefined ? undefined : this.words, wordSeed ?? 0)) return;
    // Not ASCII: NFKC and Unicode case folding need the literal normalized string.
    const normalized = normalizeText(text);
    hashString64(normalized, this.hash);
    if (wordSeed === undefined) this.words.length = 0;
    else hashWords(normalized, wordSeed, this.words);
  }
}

/** Normalized code units of the record being digested (grown as needed, reused). */
let units = new Uint16Array(1 << 16);

/**
 * Normalizes into `units` while hashing words (FNV-1a, as hashWords), then runs hashString64's
 * two lanes over the units (see hash32.ts and shingles.ts for the two hashes on their own).
 * Returns false, leaving `out` and `words` undefined, at the first code unit beyond ASCII.
 */
function digestAscii(text: string, out: Uint32Array, words: U32Buffer | undefined, seed: number): boolean {
  const n = text.length;
  if (units.length < n) units = new Uint16Array(Math.max(n, units.length * 2));
  const buf = units;
  let m = 0; // normalized length
  let spacePending = false;
  let w = 0;
  let inWord = false;
  if (words) words.length = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 128) return false;
    const k = UNIT[c]!;
    if ((k & SPACE_BIT) !== 0) {
      if (m > 0) spacePending = true;
      if (inWord) {
        words!.push(fmix32(w));
        inWord = false;
      }
      continue;
    }
    if (spacePending) {
      buf[m++] = 32; // a whitespace run between visible characters becomes one space
      spacePending = false;
    }
    const u = k & 0xff;
    buf[m++] = u;
    if (words) {
      if ((k & WORD_BIT) !== 0) {
        if (!inWord) {
          w = (seed ^ 0x811c9dc5) | 0;
          inWord = true;
        }
        w = Math.imul(w ^ u, 0x01000193);
      } else if (inWord) {
        words.push(fmix32(w));
        inWord = false;
      }
    }
  }
  if (inWord) words!.push(fmix32(w));
  let h1 = 0x2545f491;
  let h2 = 0x6a09e667;
  let i = 0;
  for (; i + 1 < m; i += 2) {
    const block = buf[i]! | (buf[i + 1]! << 16);
    let k = Math.imul(block, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h1 ^= k;
    h1 = (h1 << 13) | (h1 >>> 19);
    h1 = (Math.imul(h1, 5) + 0xe6546b64) | 0;
    let j = Math.imul(block, 0x85ebca77);
    j = (j << 17) | (j >>> 15);
    j = Math.imul(j, 0xc2b2ae3d);
    h2 ^= j;
    h2 = (h2 << 15) | (h2 >>> 17);
    h2 = (Math.imul(h2, 5) + 0x52dce729) | 0;
  }
  if (i < m) {
    const c = buf[i]!;
    h1 ^= Math.imul((Math.imul(c, 0xcc9e2d51) << 15) | (Math.imul(c, 0xcc9e2d51) >>> 17), 0x1b873593);
    h2 ^= Math.imul((Math.imul(c, 0x85ebca77) << 17) | (Math.imul(c, 0x85ebca77) >>> 15), 0xc2b2ae3d);
  }
  out[0] = fmix32(h1 ^ m);
  out[1] = fmix32(h2 ^ m);
  return true;
}
