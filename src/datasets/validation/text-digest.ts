/**
 * What the duplicate rules need from a record, in one pass over its characters: the 64-bit hash
 * of its normalized text (dup.exact) and the hashes of its normalized words (dup.near). For ASCII
 * text, normalization (lower case, whitespace runs to one space, trimmed) is applied on the fly
 * while hashing, so the normalized string is never built; the result is exactly
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

/**
 * hashString64's two lanes and hashWords' FNV-1a, fed with the normalized code units as they
 * are produced (see hash32.ts and shingles.ts for the two hashes on their own). Returns false,
 * leaving `out` and `words` undefined, at the first code unit beyond ASCII.
 */
function digestAscii(text: string, out: Uint32Array, words: U32Buffer | undefined, seed: number): boolean {
  let h1 = 0x2545f491;
  let h2 = 0x6a09e667;
  let m = 0; // normalized length
  let half = -1; // the first unit of an unfinished two-unit block, or -1
  let spacePending = false;
  let w = 0;
  let inWord = false;
  if (words) words.length = 0;
  const n = text.length;
  for (let i = 0; i <= n; i++) {
    let u: number;
    if (i < n) {
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
        // The collapsed space goes out first, then this unit (the loop body runs twice).
        spacePending = false;
        u = 32;
        i--;
      } else {
        u = k & 0xff;
        if (words && (k & WORD_BIT) !== 0) {
          if (!inWord) {
            w = (seed ^ 0x811c9dc5) | 0;
            inWord = true;
          }
          w = Math.imul(w ^ u, 0x01000193);
        } else if (inWord) {
          words!.push(fmix32(w));
          inWord = false;
        }
      }
    } else {
      if (inWord) words!.push(fmix32(w));
      break;
    }
    m++;
    if (half < 0) {
      half = u;
      continue;
    }
    const block = half | (u << 16);
    half = -1;
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
  if (half >= 0) {
    const c = half;
    h1 ^= Math.imul((Math.imul(c, 0xcc9e2d51) << 15) | (Math.imul(c, 0xcc9e2d51) >>> 17), 0x1b873593);
    h2 ^= Math.imul((Math.imul(c, 0x85ebca77) << 17) | (Math.imul(c, 0x85ebca77) >>> 15), 0xc2b2ae3d);
  }
  out[0] = fmix32(h1 ^ m);
  out[1] = fmix32(h2 ^ m);
  return true;
}
