/**
 * `pii`: masks PII spans with their kind ("[EMAIL]", "[PHONE]", "[CARD]", "[IBAN]", "[IP]",
 * "[SSN]", "[SECRET]") or drops the records that contain any. The detectors are the validation
 * report's own, so a masked version re-validates without PII findings of the masked kinds.
 */
import { z } from 'zod';
import { findPii, maskPii, PII_KINDS } from '../../validation/index.js';
import { type StepKind } from '../types.js';

const Options = z.strictObject({
  action: z.enum(['mask', 'drop']).default('mask'),
  kinds: z.array(z.enum(PII_KINDS)).min(1).default([...PII_KINDS]),
  /** Fields to scan; the text field when left out. */
  fields: z.array(z.string().min(1)).min(1).optional(),
});
type Options = z.infer<typeof Options>;

export const piiStep: StepKind<Options> = {
  kind: 'pii',
  summary: `masks PII (${PII_KINDS.map((k) => `[${k.toUpperCase()}]`).join(', ')}) or drops records that contain it`,
  example: 'pii: {action: mask, kinds: [email, phone, card, iban, ip, ssn, secret]}',
  options: Options,
  keepsSchema: true,
  plan(options, state, ctx) {
    options.fields?.forEach((field, i) => ctx.requireField(state, field, ['fields', i]));
    return state;
  },
  create(options, state) {
    const fields = options.fields ?? [state.textField];
    return {
      kind: 'record',
      push(row, emit) {
        for (const f of fields) {
          const value = row[f];
          if (typeof value !== 'string') continue;
          if (options.action === 'drop') {
            if (findPii(value, options.kinds).length > 0) return;
          } else {
            row[f] = maskPii(value, options.kinds);
          }
        }
        emit(row);
      },
    };
  },
};
