/**
 * The tokenizer inside a GGUF file, as llama.cpp loads it for byte-level BPE models ("gpt2"):
 * tokenizer.ggml.model = "gpt2", .pre (pre-tokenizer regex family), .tokens (strings by id),
 * .token_type (llama_token_type per id), .merges ("a b"), .bos/.eos/.padding_token_id, .add_bos_token,
 * and tokenizer.chat_template. The reverse direction rebuilds an equivalent tokenizer.json.
 */
import { FormatError } from './format-error.js';
import { TOKEN_TYPE, type GgufValue } from './gguf-constants.js';
import type { GgufFile } from './gguf-reader.js';
import { byteLevelBpeTokenizerJson, resolveSpecialTokens, type SpecialTokenIds, type TokenizerVocab } from './tokenizer-json.js';

export interface GgufTokenizerOptions {
  /** Model vocabulary size (rows of token_embd); the tokenizer is padded with unused tokens up to it. */
  vocabSize: number;
  special?: { bos?: string; eos?: string; pad?: string };
  chatTemplate?: string;
  /** llama.cpp pre-tokenizer name (default "gpt-2": GPT-2's regex, what a plain ByteLevel pre-tokenizer uses). */
  pre?: string;
}

/** Metadata entries that embed a byte-level BPE tokenizer for llama.cpp. */
export function ggufTokenizerMetadata(vocab: TokenizerVocab, options: GgufTokenizerOptions): Array<[string, GgufValue]> {
  if (!vocab.byteLevel) {
    throw new FormatError('bad_input', 'gguf: the tokenizer is not byte-level BPE (no ByteLevel pre-tokenizer or decoder); llama.cpp\'s "gpt2" tokenizer needs one — train a byte-level BPE tokenizer');
  }
  const n = vocab.tokens.length;
  if (n > options.vocabSize) {
    throw new FormatError('bad_input', `gguf: the tokenizer has ${n} tokens but the model's vocabSize is ${options.vocabSize}; use a tokenizer that fits the model`);
  }
  const tokens = [...vocab.tokens];
  const types: number[] = vocab.tokens.map((_, id) => {
    const a = vocab.added.get(id);
    return a === undefined ? TOKEN_TYPE.normal : a.special ? TOKEN_TYPE.control : TOKEN_TYPE.userDefined;
  });
  // A model whose embedding has more rows than the tokenizer has tokens: llama.cpp needs one token per row.
  for (let id = n; id < options.vocabSize; id++) {
    tokens.push(`[PAD${id}]`);
    types.push(TOKEN_TYPE.unused);
  }
  const ids: SpecialTokenIds = resolveSpecialTokens(vocab, options.special);
  const meta: Array<[string, GgufValue]> = [
    ['tokenizer.ggml.model', { type: 'string', value: 'gpt2' }],
    ['tokenizer.ggml.pre', { type: 'string', value: options.pre ?? 'gpt-2' }],
    ['tokenizer.ggml.tokens', { type: 'array', itemType: 'string', value: tokens }],
    ['tokenizer.ggml.token_type', { type: 'array', itemType: 'i32', value: types }],
    ['tokenizer.ggml.merges', { type: 'array', itemType: 'string', value: vocab.merges }],
  ];
  if (ids.bos !== undefined) meta.push(['tokenizer.ggml.bos_token_id', { type: 'u32', value: ids.bos }]);
  if (ids.eos !== undefined) meta.push(['tokenizer.ggml.eos_token_id', { type: 'u32', value: ids.eos }]);
  if (ids.pad !== undefined) meta.push(['tokenizer.ggml.padding_token_id', { type: 'u32', value: ids.pad }]);
  // Byte-level BPE models (GPT-2 family) are trained without a BOS prefix; llama.cpp would otherwise add one.
  meta.push(['tokenizer.ggml.add_bos_token', { type: 'bool', value: false }]);
  if (options.chatTemplate !== undefined) meta.push(['tokenizer.chat_template', { type: 'string', value: options.chatTemplate }]);
  return meta;
}

const stringArray = (file: GgufFile, key: string): string[] | undefined => {
  const v = file.metadata.get(key);
  return v?.type === 'array' && v.itemType === 'string' ? (v.value as string[]) : undefined;
};

/**
 * Rebuilds a tokenizer.json from a GGUF's "gpt2" (byte-level BPE) tokenizer. Undefined when the file
 * embeds none or another kind (SentencePiece "llama", …): the weights still import, and the caller
 * supplies the model's own tokenizer.json.
 */
export function tokenizerJsonFromGguf(file: GgufFile): object | undefined {
  if (file.scalar('tokenizer.ggml.model') !== 'gpt2') return undefined;
  const tokens = stringArray(file, 'tokenizer.ggml.tokens');
  if (tokens === undefined) throw new FormatError('bad_header', `${file.path}: tokenizer.ggml.tokens is missing or not a string array`);
  const typeValue = file.metadata.get('tokenizer.ggml.token_type');
  const types = typeValue?.type === 'array' ? typeValue.value.map(Number) : tokens.map(() => TOKEN_TYPE.normal);
  const vocab: Record<string, number> = {};
  const added: object[] = [];
  tokens.forEach((t, id) => {
    const type = types[id];
    if (type === TOKEN_TYPE.unused && t === `[PAD${id}]`) return; // padding rows we (or the converter) added
    vocab[t] = id;
    if (type === TOKEN_TYPE.control || type === TOKEN_TYPE.userDefined) {
      added.push({ id, content: t, single_word: false, lstrip: false, rstrip: false, normalized: type !== TOKEN_TYPE.control, special: type === TOKEN_TYPE.control });
    }
  });
  return byteLevelBpeTokenizerJson(vocab, stringArray(file, 'tokenizer.ggml.merges') ?? [], added);

}
