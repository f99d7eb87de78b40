/**
 * `split`: a train/validation/test column. Each record's split is a seeded hash of its key (the
 * normalized text by default), not a draw in stream order: the same record lands in the same
 * split whatever else changes in the dataset, and exact duplicates cannot straddle train and
 * test (a leak). Shares are near the ratios (within a few sqrt(n) records), not exact.
 */
import { z } from 'zod';
import { normalizeText, textHash64 } from '../../validation/index.js';
import { asText, withColumn, type StepKind } from '../types.js';

const share = z.number().min(0).max(1);
const Options = z
  .strictObject({
    train: share.optional(),
    validation: share.optional(),
    test: share.optional(),
    seed: z.number().int().default(0),
    column: z.string().min(1).max(200).default('split'),
    /** The field whose value decides the split (an id, a document name); the normalized text by default. */
    key: z.string().min(1).optional(),
  })
  .transform((o) => {
    const none = o.train === undefined && o.validation === undefined && o.test === undefined;
    return { ...o, train: none ? 0.8 : (o.train ?? 0), validation: none ? 0.1 : (o.validation ?? 0), test: none ? 0.1 : (o.test ?? 0) };
  })
  .superRefine((o, ctx) => {
    const sum = o.train + o.validation + o.test;
    if (Math.abs(sum - 1) > 1e-9) ctx.addIssue({ code: 'custom', path: ['train'], message: `train + validation + test must be 1 (got ${+sum.toFixed(6)})` });
  });
type Options = z.infer<typeof Options>;

export type SplitName = 'train' | 'validation' | 'test';

/** The split of one key under a seed: a uniform number in [0, 1) from the key's hash, cut at the ratios. */
export function splitOf(key: string, seed: number, ratios: { train: number; validation: number }): SplitName {
  const [hi] = textHash64(`${seed}\u0000${key}`);
  const u = (hi >>> 0) / 2 ** 32;
  return u < ratios.train ? 'train' : u < ratios.train + ratios.validation ? 'validation' : 'test';
}

export const splitStep: StepKind<Options> = {
  kind: 'split',
  summary: 'adds a seeded train/validation/test column (by a hash of each record, so reruns agree)',
  example: 'split: {train: 0.9, validation: 0.05, test: 0.05, seed: 42}',
  options: Options,
  keepsSchema: false,
  plan(options, state, ctx) {
    if (options.key !== undefined) ctx.requireField(state, options.key, ['key']);
    return { ...state, columns: withColumn(state, { name: options.column, type: 'VARCHAR' }) };
  },
  create(options, state) {
    const keyField = options.key ?? state.textField;
    return {
      kind: 'record',
      push(row, emit) {
        const value = asText(row[keyField]);
        row[options.column] = splitOf(options.key ? value : normalizeText(value), options.seed, options);
        emit(row);
      },
    };
  },
};
