/**
 * Word shingles as 32-bit hashes, computed without allocating a string per word: words are
 * maximal runs of letters and digits (the same definition as `wordsOf`), hashed as they are read.
 */
import { fmix32 } from './hash32.js';

const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;

/** 1 for ASCII letters and digits. */
const ASCII_WORD = new Uint8Array(128);
for (let c = 0; c < 128; c++) ASCII_WORD[c] = /[A-Za-z0-9]/.test(String.fromCharCode(c)) ? 1 : 0;

/** True for a UTF-16 code unit that belongs to a word; ASCII is decided without a regex. */
function isWordUnit(text: string, i: number, c: number): boolean {
  if (c < 128) return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || (c >= 65 && c <= 90);
  if (c >= 0xd800 && c <= 0xdfff) return LETTER_OR_DIGIT.test(text.slice(c <= 0xdbff ? i : i - 1, c <= 0xdbff ? i + 2 : i + 1));
  return LETTER_OR_DIGIT.test(text[i]!);
}

/** Growable scratch buffer of 32-bit values, reused across records. */
export class U32Buffer {
  data = new Uint32Array(256);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const bigger = new Uint32Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = v;
  }
}

/** Hash every word of a (normalized) text into `out` (cleared first), FNV-1a over code units then fmix32. */
export function hashWords(text: string, seed: number, out: U32Buffer): void {
  out.length = 0;
  let h = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const word = c < 128 ? ASCII_WORD[c] === 1 : isWordUnit(text, i, c);
    if (word) {
      if (!inWord) {
        h = (seed ^ 0x811c9dc5) | 0;
        inWord = true;
      }
      h = Math.imul(h ^ c, 0x01000193);
    } else if (inWord) {
      out.push(fmix32(h));
      inWord = false;
    }
  }
  if (inWord) out.push(fmix32(h));
}

/**
 * Hash each run of `k` consecutive words into `out` (cleared first). A text of fewer than `k`
 * words is one shingle of all its words, so that short records still compare (equal or not).
 */
export function hashShingles(words: U32Buffer, k: number, out: U32Buffer): void {
  out.length = 0;
  const n = words.length;
  if (n === 0) return;
  const w = words.data;
  const last = Math.max(0, n - k);
  for (let i = 0; i <= last; i++) {
    let h = k;
    const end = Math.min(n, i + k);
    for (let j = i; j < end; j++) h = Math.imul(h ^ w[j]!, 0x9e3779b1) + 0x7f4a7c15 | 0;
    out.push(fmix32(h));
  }
}
