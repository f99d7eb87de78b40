/**
 * Per-dataset validation settings: every rule can be switched off, have its severity overridden,
 * and tune its thresholds. One zod schema; every field has a default, so `{}` is a full config.
 */
import { z } from 'zod';
import { ValidationError } from '../../platform/errors.js';

const severity = z.enum(['error', 'warning', 'info']);

/** Fields every rule accepts. */
function base(defaultSeverity: z.infer<typeof severity>) {
  return { enabled: z.boolean().default(true), severity: severity.default(defaultSeverity) };
}

export { PII_KINDS, type PiiKind } from './pii-kinds.js';

export const validationConfigSchema = z
  .strictObject({
    /** Record ids kept per finding. */
    maxExamples: z.number().int().min(0).default(10),
    /** The declared shape of structured records, checked by the schema.* rules. */
    shape: z.enum(['none', 'chat', 'instruction']).default('none'),
    rules: z
      .strictObject({
        empty: z.strictObject(base('warning')).prefault({}),
        'length.outlier': z.strictObject({
          ...base('info'),
          /** Robust z-score (0.6745·|x−median|/MAD on log length) above which a record is an outlier. */
          robustZ: z.number().positive().default(3.5),
          /** Below this many non-empty records the distribution is too thin to call outliers. */
          minRecords: z.number().int().min(1).default(50),
        }).prefault({}),
        'dup.exact': z.strictObject(base('warning')).prefault({}),
        'dup.near': z.strictObject({
          ...base('warning'),
          /** Jaccard similarity over word shingles at or above which two records are near-duplicates. */
          threshold: z.number().gt(0).lt(1).default(0.8),
          /** Words per shingle. */
          shingleWords: z.number().int().min(1).max(16).default(5),
          /** MinHash permutations (signature length). */
          numPerm: z.number().int().min(16).max(512).default(128),
          /** LSH bands × rows; chosen from the threshold when left out. */
          bands: z.number().int().min(1).optional(),
          rows: z.number().int().min(1).optional(),
          seed: z.number().int().default(0x5eed),
          /**
           * Records indexed at most (about 90–120 bytes each at the defaults, ≤ 360 MB at 3M):
           * later records are not searched, and the finding says so. Bounds the rule's memory on
           * very large datasets; 3M covers a 1 GB JSONL of records down to ~350 bytes.
           */
          maxRecords: z.number().int().min(1).default(3_000_000),
        }).prefault({}),
        'pii.email': z.strictObject(base('warning')).prefault({}),
        'pii.phone': z.strictObject(base('warning')).prefault({}),
        'pii.card': z.strictObject(base('error')).prefault({}),
        'pii.iban': z.strictObject(base('error')).prefault({}),
        'pii.ip': z.strictObject(base('warning')).prefault({}),
        'pii.ssn': z.strictObject(base('error')).prefault({}),
        'pii.secret': z.strictObject({
          ...base('error'),
          /** Shannon entropy (bits per character) a generic token must reach to count as a secret. */
          minEntropy: z.number().positive().default(3.5),
          minTokenLength: z.number().int().min(8).default(20),
        }).prefault({}),
        'encoding.replacement_char': z.strictObject(base('warning')).prefault({}),
        'encoding.control_chars': z.strictObject(base('warning')).prefault({}),
        'encoding.mojibake': z.strictObject(base('warning')).prefault({}),
        'schema.missing_field': z.strictObject(base('error')).prefault({}),
        'schema.wrong_role': z.strictObject(base('error')).prefault({}),
        'schema.empty_content': z.strictObject(base('error')).prefault({}),
        'schema.wrong_type': z.strictObject(base('error')).prefault({}),
      })
      .prefault({}),
  })
  .superRefine((cfg, ctx) => {
    const near = cfg.rules['dup.near'];
    if ((near.bands === undefined) !== (near.rows === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['rules', 'dup.near'], message: 'give both bands and rows, or neither' });
    } else if (near.bands !== undefined && near.rows !== undefined && near.bands * near.rows > near.numPerm) {
      ctx.addIssue({ code: 'custom', path: ['rules', 'dup.near'], message: `bands × rows = ${near.bands * near.rows} exceeds numPerm = ${near.numPerm}` });
    }
  });

export type ValidationConfig = z.infer<typeof validationConfigSchema>;
export type ValidationConfigInput = z.input<typeof validationConfigSchema>;
export type RuleId = keyof ValidationConfig['rules'];
export const RULE_IDS = Object.keys(validationConfigSchema.parse({}).rules) as RuleId[];

/** Parse a dataset's validation settings, filling defaults; throws ValidationError naming the path of each mistake. */
export function parseValidationConfig(input: unknown = {}): ValidationConfig {
  const result = validationConfigSchema.safeParse(input ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${formatPath(i.path) || '(root)'}: ${i.message}`);
  throw new ValidationError('invalid_validation_config', `Invalid validation config: ${problems.join('; ')}`, { problems });
}

/** rules["dup.near"].threshold: rule ids contain dots, so they are quoted. */
function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : String(p).includes('.') ? `["${String(p)}"]` : `${i === 0 ? '' : '.'}${String(p)}`))
    .join('');
}
