/**
 * `dedup`: drops repeats, keeping the first record of each group. Exact repeats are found on the
 * same normalized text as the `dup.exact` rule (NFKC, case-folded, whitespace collapsed) and near
 * ones with the same MinHash/LSH index as `dup.near`, so that what the report counts is what this
 * step removes. An exact repeat is not offered to the near index (it would add nothing), and
 * blank records are left alone, as the report does. A record is dropped when, on arrival, it
 * repeats an earlier one; the report's clusters are transitive (a later record may bridge two
 * earlier ones), so its dup.near count is an upper bound of what this step drops.
 */
import { z } from 'zod';
import { ValidationError } from '../../../platform/errors.js';
import { nearDuplicateOptions, NearDuplicateIndex, normalizeText, parseValidationConfig, textHash64, U64Set } from '../../validation/index.js';
import { asText, planOptionalField, textFieldOf, type StepKind } from '../types.js';

const Near = z.strictObject({
  /** Word-shingle Jaccard similarity at or above which a record repeats an earlier one. */
  threshold: z.number().gt(0).lt(1).default(0.8),
  shingle_words: z.number().int().min(1).max(16).default(5),
  num_perm: z.number().int().min(16).max(512).default(128),
  seed: z.number().int().default(0x5eed),
});

const Options = z
  .strictObject({
    exact: z.boolean().default(true),
    /** true for the defaults, or their settings; false (the default) for exact dedup only. */
    near: z.union([z.boolean(), Near]).default(false),
    field: z.string().min(1).optional(),
  })
  .refine((o) => o.exact || o.near !== false, { message: 'enable exact, near or both (otherwise the step does nothing)' });
type Options = z.infer<typeof Options>;

export const dedupStep: StepKind<Options> = {
  kind: 'dedup',
  summary: 'drops exact and/or near duplicates (MinHash/LSH), keeping the first of each group',
  example: 'dedup: {exact: true, near: {threshold: 0.8}}',
  options: Options,
  keepsSchema: true,
  plan: planOptionalField,
  create(options, state) {
    const field = textFieldOf(options, state);
    // 64-bit keys in a typed-array set: ~17–34 bytes a record outside the V8 heap, against ~117 on the
    // heap (whose limit is the job's memoryMb) for a Set of strings; measured with 1M keys. Both indexes
    // grow with what reaches them rather than being sized from the input: a where step before may pass few.
    const seen = options.exact ? new U64Set() : null;
    let near: NearDuplicateIndex | null = null;
    if (options.near !== false) {
      const n = Near.parse(options.near === true ? {} : options.near);
      const config = parseValidationConfig({ rules: { 'dup.near': { threshold: n.threshold, shingleWords: n.shingle_words, numPerm: n.num_perm, seed: n.seed } } });
      near = new NearDuplicateIndex(nearDuplicateOptions(config));
    }
    return {
      kind: 'record',
      push(row, emit) {
        const normalized = normalizeText(asText(row[field]));
        // Blank records are not duplicates of each other (as in the report): filter_length drops them.
        if (normalized === '') return emit(row);
        if (seen) {
          const [hi, lo] = textHash64(normalized);
          if (!seen.add(hi, lo)) return;
        }
        if (near) {
          if (near.size >= NearDuplicateIndex.capacity) throw nearIndexFull();
          const x = near.add(normalized);
          if (x >= 0 && near.repeatsEarlier(x)) return;
        }
        emit(row);
      },
    };
  },
};

function nearIndexFull(): ValidationError {
  return new ValidationError(
    'dataset_transform_too_large',
    `Near-duplicate dedup indexes at most ${NearDuplicateIndex.capacity.toLocaleString('en-US')} records, and this run reached that. Dedup a part at a time (a where step before it), or use exact: true, near: false.`,
    { limit: NearDuplicateIndex.capacity },
  );
}
