import { describe, expect, it } from 'vitest';
import { FormatError } from './format-error.js';
import { buildByteLevelBpeTokenizer, byteToUnicode, parseTokenizerJson, resolveSpecialTokens } from './tokenizer-json.js';

describe('byte-level BPE tokenizer.json builder', () => {
  for (const vocabSize of [259, 512, 8192])
    it(`makes exactly ${vocabSize} distinct tokens whose merges only join existing tokens`, () => {
      const json = buildByteLevelBpeTokenizer({ vocabSize }) as { model: { vocab: Record<string, number>; merges: string[] } };
      const vocab = parseTokenizerJson(json);
      expect(vocab.tokens.length).toBe(vocabSize);
      expect(new Set(vocab.tokens).size).toBe(vocabSize);
      expect(vocab.byteLevel).toBe(true);
      const seen = new Set(vocab.tokens.slice(0, 256));
      vocab.merges.forEach((m, i) => {
        const [a, b] = m.split(' ');
        expect(seen.has(a!) && seen.has(b!), `merge ${i} "${m}" uses a token not made yet`).toBe(true);
        expect(json.model.vocab[a! + b!]).toBe(256 + i); // the merge's product takes the next id
        seen.add(a! + b!);
      });
      expect(vocab.merges.length).toBe(vocabSize - 259);
    });

  it('uses GPT-2\'s byte alphabet (id = byte) and puts the special tokens last', () => {
    const vocab = parseTokenizerJson(buildByteLevelBpeTokenizer({ vocabSize: 300 }));
    const alphabet = byteToUnicode();
    expect(vocab.tokens[32]).toBe('Ġ'); // space
    expect(vocab.tokens[10]).toBe('Ċ'); // newline
    expect(vocab.tokens[65]).toBe('A');
    expect(new Set(alphabet).size).toBe(256);
    expect(vocab.tokens.slice(297)).toEqual(['<|endoftext|>', '<|im_start|>', '<|im_end|>']);
    expect(resolveSpecialTokens(vocab)).toEqual({ bos: 297, eos: 297, pad: undefined });
    expect(resolveSpecialTokens(vocab, { eos: '<|im_end|>' }).eos).toBe(299);
    expect(() => resolveSpecialTokens(vocab, { bos: '<s>' })).toThrow(/bos token "<s>" is not in the vocabulary/);
  });

  it('refuses what it cannot build or read', () => {
    expect(() => buildByteLevelBpeTokenizer({ vocabSize: 100 })).toThrow(FormatError);
    expect(() => parseTokenizerJson({ model: { type: 'Unigram', vocab: [] } })).toThrow(/only BPE tokenizers/);
    expect(() => parseTokenizerJson('{not json')).toThrow(/not valid JSON/);
    expect(() => parseTokenizerJson({ model: { type: 'BPE', vocab: { a: 0, c: 2 }, merges: [] } })).toThrow(/token id 1 is missing/);
    // tokenizers ≥ 0.20 writes merges as pairs
    expect(parseTokenizerJson({ model: { type: 'BPE', vocab: { a: 0, b: 1, ab: 2 }, merges: [['a', 'b']] } }).merges).toEqual(['a b']);
  });
});
