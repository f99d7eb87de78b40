/** `normalize`: Unicode normalization of text fields (NFKC folds compatibility forms: "ﬁ" → "fi"). */
import { z } from 'zod';
import { textFieldOf, type Row, type StepKind } from '../types.js';

const Options = z.strictObject({
  form: z.enum(['NFC', 'NFKC', 'NFD', 'NFKD']).default('NFKC'),
  /** Fields to normalize; the text field when left out. */
  fields: z.array(z.string().min(1)).min(1).optional(),
});
type Options = z.infer<typeof Options>;

export const normalizeStep: StepKind<Options> = {
  kind: 'normalize',
  summary: 'Unicode normalization (NFC, NFKC, NFD, NFKD) of the text field or the given fields',
  example: 'normalize: {form: NFKC}',
  options: Options,
  keepsSchema: true,
  plan(options, state, ctx) {
    (options.fields ?? [textFieldOf({}, state)]).forEach((field, i) => ctx.requireField(state, field, options.fields ? ['fields', i] : []));
    return state;
  },
  create(options, state) {
    const fields = options.fields ?? [state.textField];
    return {
      kind: 'record',
      push(row: Row, emit) {
        for (const f of fields) if (typeof row[f] === 'string') row[f] = (row[f] as string).normalize(options.form);
        emit(row);
      },
    };
  },
};
