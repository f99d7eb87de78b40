/**
 * Hugging Face `tokenizer.json` as the exporters need it: the vocabulary by id, the BPE merges, the added
 * (special) tokens, and which of them are BOS/EOS/PAD. The engine does not train tokenizers: callers pass
 * the tokenizer.json their tokenizer library wrote. `buildByteLevelBpeTokenizer` makes a small valid
 * GPT-2-style one for tests and for models that have none.
 */
import { FormatError } from './format-error.js';

/** What a tokenizer.json holds, by token id. */
export interface TokenizerVocab {
  /** Token strings indexed by id (byte-level BPE strings, e.g. "Ġthe"). */
  tokens: string[];
  /** Merges in priority order, each "left right". */
  merges: string[];
  /** Ids of added tokens, and whether each is special (a control token). */
  added: Map<number, { content: string; special: boolean }>;
  /** Whether this is byte-level BPE (GPT-2 alphabet), the only kind the GGUF export embeds. */
  byteLevel: boolean;
}

/** The ids of the special tokens a model config names. */
export interface SpecialTokenIds {
  bos: number | undefined;
  eos: number | undefined;
  pad: number | undefined;
}

type Json = Record<string, unknown>;

/** Parses a tokenizer.json given as a string or an already-parsed object. */
export function parseTokenizerJson(input: string | object, source = 'tokenizer.json'): TokenizerVocab {
  let json: Json;
  try {
    json = (typeof input === 'string' ? JSON.parse(input) : input) as Json;
  } catch (err) {
    throw new FormatError('bad_input', `${source}: not valid JSON (${(err as Error).message})`);
  }
  const model = json.model as Json | undefined;
  if (model === undefined || model.type !== 'BPE' || typeof model.vocab !== 'object' || model.vocab === null) {
    throw new FormatError('bad_input', `${source}: model.type is ${JSON.stringify(model?.type)}; only BPE tokenizers (model.vocab + model.merges) can be exported — train a byte-level BPE tokenizer`);
  }
  const byId = new Map<number, string>();
  for (const [token, id] of Object.entries(model.vocab as Record<string, unknown>)) {
    if (!Number.isInteger(id) || (id as number) < 0) throw new FormatError('bad_input', `${source}: vocab entry ${JSON.stringify(token)} has id ${String(id)}`);
    byId.set(id as number, token);
  }
  const added = new Map<number, { content: string; special: boolean }>();
  for (const t of (json.added_tokens as Json[] | undefined) ?? []) {
    if (!Number.isInteger(t.id) || typeof t.content !== 'string') throw new FormatError('bad_input', `${source}: added token ${JSON.stringify(t)} needs an integer id and a string content`);
    added.set(t.id as number, { content: t.content, special: t.special === true });
    byId.set(t.id as number, t.content);
  }
  const size = byId.size === 0 ? 0 : Math.max(...byId.keys()) + 1;
  const tokens: string[] = new Array(size);
  for (let id = 0; id < size; id++) {
    const t = byId.get(id);
    if (t === undefined) throw new FormatError('bad_input', `${source}: token id ${id} is missing; ids must run 0..${size - 1} without gaps`);
    tokens[id] = t;
  }
  // tokenizers ≥ 0.20 writes merges as ["a", "b"] pairs, older versions as "a b" strings.
  const merges = ((model.merges as unknown[] | undefined) ?? []).map((m) => (Array.isArray(m) ? m.join(' ') : String(m)));
  const pre = json.pre_tokenizer as Json | null | undefined;
  const isByteLevel = (p: Json | null | undefined): boolean =>
    p?.type === 'ByteLevel' || (p?.type === 'Sequence' && ((p.pretokenizers as Json[] | undefined) ?? []).some((x) => x.type === 'ByteLevel'));
  return { tokens, merges, added, byteLevel: isByteLevel(pre) || (json.decoder as Json | undefined)?.type === 'ByteLevel' };
}

/** Names used for special tokens by common tokenizers, most specific first. */
const BOS_NAMES = ['<|begin_of_text|>', '<s>', '<|startoftext|>', '<|endoftext|>'];
const EOS_NAMES = ['<|endoftext|>', '<|end_of_text|>', '</s>', '<|im_end|>', '<|eot_id|>'];
const PAD_NAMES = ['<|pad|>', '<pad>', '[PAD]'];

/** The id of a token given by content, or the first of `fallbacks` the vocabulary has. */
export function findTokenId(vocab: TokenizerVocab, content: string | undefined, fallbacks: readonly string[], what: string): number | undefined {
  if (content !== undefined) {
    const id = vocab.tokens.indexOf(content);
    if (id < 0) throw new FormatError('bad_input', `tokenizer: ${what} token ${JSON.stringify(content)} is not in the vocabulary; pass a token it has`);
    return id;
  }
  for (const name of fallbacks) {
    const id = vocab.tokens.indexOf(name);
    if (id >= 0) return id;
  }
  return undefined;
}

/** BOS/EOS/PAD ids: the tokens named by the caller, else the usual names found in the vocabulary. */
export function resolveSpecialTokens(vocab: TokenizerVocab, names: { bos?: string; eos?: string; pad?: string } = {}): SpecialTokenIds {
  return {
    bos: findTokenId(vocab, names.bos, BOS_NAMES, 'bos'),
    eos: findTokenId(vocab, names.eos, EOS_NAMES, 'eos'),
    pad: findTokenId(vocab, names.pad, PAD_NAMES, 'pad'),
  };
}

/** GPT-2's byte → printable character map (bytes that are not printable move to U+0100 onward). */
export function byteToUnicode(): string[] {
  const printable = (b: number): boolean => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const out: string[] = new Array(256);
  let next = 256;
  for (let b = 0; b < 256; b++) out[b] = String.fromCodePoint(printable(b) ? b : next++);
  return out;
}

/**
 * A valid byte-level BPE tokenizer.json with exactly `vocabSize` tokens: ids 0..255 are the 256 bytes
 * (id = byte value), then merges of frequent English letter pairs (and longer pieces) fill the middle,
 * and the special tokens take the last ids. Deterministic, so tests can rely on its ids.
 */
export function buildByteLevelBpeTokenizer(options: { vocabSize: number; specialTokens?: readonly string[] }): object {
  const specials = options.specialTokens ?? ['<|endoftext|>', '<|im_start|>', '<|im_end|>'];
  const { vocabSize } = options;
  if (!Number.isInteger(vocabSize) || vocabSize < 256 + specials.length) {
    throw new FormatError('bad_input', `tokenizer: vocabSize ${vocabSize} is too small; a byte-level BPE needs 256 byte tokens + ${specials.length} special tokens`);
  }
  const bytes = byteToUnicode();
  const vocab: Record<string, number> = {};
  bytes.forEach((ch, b) => (vocab[ch] = b));
  const merges: string[] = [];
  const nMerges = vocabSize - 256 - specials.length;
  // Space-prefixed letters first (word starts), then letter pairs by English frequency, then longer pieces.
  const letters = 'etaoinshrdlcumwfgypbvkjxqz'.split('');
  const alphabet = ['Ġ', ...letters, ...'ETAOINSHRDLCUMWFGYPBVKJXQZ0123456789.,\'-!?'.split('')];
  let pieces = alphabet.map((a) => a);
  outer: while (merges.length < nMerges) {
    if (pieces.length === 0) throw new FormatError('bad_input', `tokenizer: cannot make ${nMerges} distinct merges; choose a smaller vocabSize`);
    const grown: string[] = [];
    for (const left of pieces)
      for (const right of letters) {
        if (merges.length >= nMerges) break outer;
        const token = left + right;
        if (Object.hasOwn(vocab, token)) continue;
        vocab[token] = 256 + merges.length;
        merges.push(`${left} ${right}`);
        grown.push(token);
      }
    pieces = grown;
  }
  const firstSpecial = 256 + merges.length;
  const added = specials.map((content, i) => ({ id: firstSpecial + i, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }));
  for (const t of added) vocab[t.content] = t.id;
  return byteLevelBpeTokenizerJson(vocab, merges, added);
}

/** A Hugging Face tokenizer.json for a byte-level BPE (GPT-2 style) with this vocabulary, merges and added tokens. */
export function byteLevelBpeTokenizerJson(vocab: Record<string, number>, merges: readonly string[], added: readonly object[]): object {
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges },
  };
}
