/**
 * `clean`: whitespace and control characters. Control characters (C0/C1 except tab and newline,
 * zero-width and BOM characters) are invisible in editors but split tokens apart, so they go by
 * default; whitespace is collapsed within lines while paragraph breaks stay, since they carry
 * structure that training should see.
 */
import { z } from 'zod';
import { planOptionalField, textFieldOf, type StepKind } from '../types.js';

const Options = z.strictObject({
  /** keep_lines: collapse spaces/tabs, trim each line, at most one blank line; collapse: everything to single spaces; trim: ends only; none. */
  whitespace: z.enum(['keep_lines', 'collapse', 'trim', 'none']).default('keep_lines'),
  control_chars: z.enum(['strip', 'keep']).default('strip'),
  /** Also drop U+FFFD (what a decoder leaves for invalid bytes). */
  replacement_chars: z.enum(['strip', 'keep']).default('keep'),
  field: z.string().min(1).optional(),
});
type Options = z.infer<typeof Options>;

// C0 except \t \n \r, DEL, C1, zero-width space/joiners, word joiner, BOM.
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u200B-\u200D\u2060\uFEFF]/g;
const REPLACEMENT = /\uFFFD/g;
const HORIZONTAL = /[^\S\n]+/g;

/** The text after the step's options; exported for tests. */
export function cleanText(text: string, options: Pick<Options, 'whitespace' | 'control_chars' | 'replacement_chars'>): string {
  let out = options.control_chars === 'strip' ? text.replace(CONTROL, '') : text;
  if (options.replacement_chars === 'strip') out = out.replace(REPLACEMENT, '');
  switch (options.whitespace) {
    case 'keep_lines':
      return out
        .replace(/\r\n?/g, '\n')
        .replace(HORIZONTAL, ' ')
        .replace(/ *\n */g, '\n')
        .replace(/\n{3,}/g, '\n\n')
        .trim();
    case 'collapse':
      return out.replace(/\s+/g, ' ').trim();
    case 'trim':
      return out.trim();
    case 'none':
      return out;
  }
}

export const cleanStep: StepKind<Options> = {
  kind: 'clean',
  summary: 'whitespace cleanup (keep_lines, collapse, trim) and control-character removal',
  example: 'clean: {whitespace: keep_lines, control_chars: strip}',
  options: Options,
  keepsSchema: true,
  plan: planOptionalField,
  create(options, state) {
    const field = textFieldOf(options, state);
    return {
      kind: 'record',
      push(row, emit) {
        if (typeof row[field] === 'string') row[field] = cleanText(row[field] as string, options);
        emit(row);
      },
    };
  },
};
