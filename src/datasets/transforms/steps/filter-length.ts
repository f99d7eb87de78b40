/** `filter_length`: keeps records whose text length (in characters, i.e. code points) is within bounds. */
import { z } from 'zod';
import { asText, planOptionalField, textFieldOf, type StepKind } from '../types.js';

const Options = z
  .strictObject({
    min_chars: z.number().int().min(0).optional(),
    max_chars: z.number().int().min(1).optional(),
    field: z.string().min(1).optional(),
  })
  .refine((o) => o.min_chars !== undefined || o.max_chars !== undefined, { message: 'give min_chars, max_chars or both' })
  .refine((o) => o.min_chars === undefined || o.max_chars === undefined || o.min_chars <= o.max_chars, { message: 'min_chars must not exceed max_chars', path: ['min_chars'] });
type Options = z.infer<typeof Options>;

/** Length in code points, so that an emoji counts once (what "characters" means to a user). */
export function charLength(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xdc00 || c > 0xdfff) n++; // low surrogates belong to the code point before them
  }
  return n;
}

export const filterLengthStep: StepKind<Options> = {
  kind: 'filter_length',
  summary: 'keeps records whose text has min_chars..max_chars characters',
  example: 'filter_length: {min_chars: 20, max_chars: 20000}',
  options: Options,
  keepsSchema: true,
  plan: planOptionalField,
  create(options, state) {
    const field = textFieldOf(options, state);
    const min = options.min_chars ?? 0;
    const max = options.max_chars ?? Infinity;
    return {
      kind: 'record',
      push(row, emit) {
        const n = charLength(asText(row[field]));
        if (n >= min && n <= max) emit(row);
      },
    };
  },
};
