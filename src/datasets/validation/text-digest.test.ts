import { describe, expect, it } from 'vitest';
import { Rng } from '../testing/rng.js';
import { textHash64 } from './dup-exact.js';
import { normalizeText } from './normalize.js';
import { hashWords, U32Buffer } from './shingles.js';
import { TextDigest } from './text-digest.js';

// Letters of both cases, digits, every ASCII whitespace, punctuation, and a few non-ASCII units.
const ASCII = 'aAbBzZ09 \t\n\r\v\f.,-@_';
const UNICODE = 'é\u00A0ß\u3000Ｆ';

function randomText(rng: Rng, alphabet: string): string {
  let s = '';
  for (let i = rng.int(0, 40); i > 0; i--) s += alphabet[rng.int(0, alphabet.length - 1)];
  return s;
}

describe('TextDigest', () => {
  it('equals hashing the normalized text, for ASCII (fused path) and Unicode (literal path) alike', () => {
    const rng = new Rng(11);
    const digest = new TextDigest();
    const words = new U32Buffer();
    let ascii = 0;
    for (let i = 0; i < 2_500; i++) {
      const text = randomText(rng, i % 4 === 3 ? ASCII + UNICODE : ASCII);
      digest.compute(text, 0x5eed);
      const normalized = normalizeText(text);
      expect([...digest.hash], JSON.stringify(text)).toEqual(textHash64(normalized));
      hashWords(normalized, 0x5eed, words);
      expect([...digest.words.data.subarray(0, digest.words.length)], JSON.stringify(text)).toEqual([...words.data.subarray(0, words.length)]);
      if (!/[^\x00-\x7f]/.test(text)) ascii++;
    }
    expect(ascii).toBeGreaterThan(1_500); // the fused path was exercised
  });

  it('leaves the word hashes out when dup.near does not run', () => {
    const digest = new TextDigest();
    digest.compute('Two words', undefined);
    expect(digest.words.length).toBe(0);
    expect([...digest.hash]).toEqual(textHash64('two words'));
  });
});
