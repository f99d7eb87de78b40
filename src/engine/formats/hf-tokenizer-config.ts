/**
 * The tokenizer-side JSON files of a Hugging Face folder: tokenizer_config.json (special tokens, chat
 * template) and generation_config.json (the ids generation starts and stops on).
 */
import type { SpecialTokenIds, TokenizerVocab } from './tokenizer-json.js';

/** ChatML (`<|im_start|>role\n…<|im_end|>\n`), the default chat template. */
export const CHATML_TEMPLATE =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

const content = (vocab: TokenizerVocab, id: number | undefined): string | null => (id === undefined ? null : vocab.tokens[id]!);

/** tokenizer_config.json for PreTrainedTokenizerFast. */
export function tokenizerConfigJson(vocab: TokenizerVocab, special: SpecialTokenIds, chatTemplate: string, maxSeqLen: number): Record<string, unknown> {
  const decoder: Record<string, unknown> = {};
  for (const [id, t] of [...vocab.added].sort((a, b) => a[0] - b[0])) {
    decoder[String(id)] = { content: t.content, lstrip: false, normalized: !t.special, rstrip: false, single_word: false, special: t.special };
  }
  return {
    tokenizer_class: 'PreTrainedTokenizerFast',
    add_bos_token: false,
    add_eos_token: false,
    bos_token: content(vocab, special.bos),
    eos_token: content(vocab, special.eos),
    pad_token: content(vocab, special.pad),
    unk_token: null,
    model_max_length: maxSeqLen,
    clean_up_tokenization_spaces: false,
    added_tokens_decoder: decoder,
    chat_template: chatTemplate,
  };
}

/** generation_config.json; with ChatML, generation also stops at `<|im_end|>`. */
export function generationConfigJson(vocab: TokenizerVocab, special: SpecialTokenIds): Record<string, unknown> {
  const imEnd = vocab.tokens.indexOf('<|im_end|>');
  const eos = [special.eos, imEnd >= 0 ? imEnd : undefined].filter((id, i, all): id is number => id !== undefined && all.indexOf(id) === i);
  return {
    bos_token_id: special.bos ?? null,
    eos_token_id: eos.length === 1 ? eos[0] : eos.length === 0 ? null : eos,
    pad_token_id: special.pad ?? null,
  };
}
