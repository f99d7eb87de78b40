/**
 * `chunk`: splits long texts into pieces of at most `max_tokens`, each starting `overlap_tokens`
 * before the previous one ended, so that no passage loses its context at a cut. Until a
 * tokenizer can be named (the `tokenizer` slot), tokens are approximated by characters
 * (`chars_per_token`, 4 by default, about right for English with BPE vocabularies). A cut moves
 * back to the last whitespace within the final quarter of a piece, so words stay whole.
 */
import { z } from 'zod';
import { asText, textFieldOf, withColumn, type StepKind } from '../types.js';

const Options = z
  .strictObject({
    max_tokens: z.number().int().min(1),
    overlap_tokens: z.number().int().min(0).default(0),
    chars_per_token: z.number().positive().max(100).default(4),
    /** Reserved: chunk by a trained tokenizer's tokens (not available yet). */
    tokenizer: z.string().min(1).optional(),
    field: z.string().min(1).optional(),
    /** The column that numbers the pieces of one record (0, 1, …). */
    index_field: z.string().min(1).max(200).default('chunk'),
  })
  .refine((o) => o.overlap_tokens < o.max_tokens, { message: 'overlap_tokens must be smaller than max_tokens', path: ['overlap_tokens'] });
type Options = z.infer<typeof Options>;

export interface Piece {
  start: number;
  end: number;
}

const SPACE = /\s/;

/** Where the pieces of a text of `length` go: [start, end) ranges, each at most `maxChars` long. */
export function chunkRanges(text: string, maxChars: number, overlapChars: number): Piece[] {
  const pieces: Piece[] = [];
  let start = 0;
  for (;;) {
    let end = Math.min(text.length, start + maxChars);
    if (end < text.length) {
      const floor = start + Math.ceil(maxChars * 0.75);
      for (let i = end - 1; i >= floor; i--) {
        if (SPACE.test(text[i]!)) {
          end = i + 1;
          break;
        }
      }
      if (isLowSurrogate(text, end) && end - 1 > start) end--; // never cut a code point in two
    }
    pieces.push({ start, end });
    if (end >= text.length) return pieces;
    let next = Math.max(end - overlapChars, start + 1);
    if (isLowSurrogate(text, next)) next--;
    start = next > start ? next : end;
  }
}

function isLowSurrogate(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  return c >= 0xdc00 && c <= 0xdfff;
}

export const chunkStep: StepKind<Options> = {
  kind: 'chunk',
  summary: 'splits texts into pieces of at most max_tokens with overlap_tokens of overlap (≈ chars_per_token characters per token)',
  example: 'chunk: {max_tokens: 512, overlap_tokens: 64}',
  options: Options,
  keepsSchema: false,
  plan(options, state, ctx) {
    if (options.tokenizer !== undefined) {
      ctx.error(['tokenizer'], 'recipe_option_unsupported', `chunking by the tokens of "${options.tokenizer}" is not available yet.`, 'Leave tokenizer out: tokens are approximated by chars_per_token characters (4 by default).');
    }
    if (options.field !== undefined) ctx.requireField(state, options.field, ['field']);
    return { ...state, columns: withColumn(state, { name: options.index_field, type: 'BIGINT' }) };
  },
  create(options, state) {
    const field = textFieldOf(options, state);
    const maxChars = Math.max(1, Math.floor(options.max_tokens * options.chars_per_token));
    const overlapChars = Math.floor(options.overlap_tokens * options.chars_per_token);
    return {
      kind: 'record',
      push(row, emit) {
        const text = asText(row[field]);
        chunkRanges(text, maxChars, overlapChars).forEach((piece, i) => emit({ ...row, [field]: text.slice(piece.start, piece.end), [options.index_field]: i }));
      },
    };
  },
};
