/** Inputs the datasets domain accepts and the views it returns (types come from these schemas). */
import { z } from 'zod';

export const DATASET_FORMATS = ['jsonl', 'csv', 'tsv', 'parquet', 'text', 'zip'] as const;
export const DatasetFormatSchema = z.enum(DATASET_FORMATS);
export type DatasetFormat = z.infer<typeof DatasetFormatSchema>;

/** Lowercase letters, digits, `-`, `_` and `.`; starts with a letter or digit (it goes into REFs and URLs). */
export const DatasetNameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,99}$/, 'use 1-100 lowercase letters, digits, ".", "_" or "-", starting with a letter or digit');

/** What an ingest needs besides the bytes. */
export const IngestOptionsSchema = z.object({
  format: DatasetFormatSchema,
  /** The column training reads. */
  textField: z.string().min(1).max(200).default('text'),
  /** Skip malformed JSONL lines (counted in the version) instead of refusing the file. */
  skipBadLines: z.boolean().default(false),
  /** Validation rules for this dataset (src/datasets/validation/config.ts). */
  validation: z.record(z.string(), z.unknown()).default({}),
});
export type IngestOptions = z.infer<typeof IngestOptionsSchema>;

/** POST /api/v1/datasets: a new version from an upload (its sha256) or a server-side path (admin). */
export const AddDatasetInputSchema = z
  .object({
    name: DatasetNameSchema,
    upload: z.string().regex(/^[0-9a-f]{64}$/, 'the sha256 returned by POST /api/v1/uploads').optional(),
    path: z.string().min(1).optional(),
    /** The original file name, used to guess the format and shown in listings. */
    filename: z.string().max(500).optional(),
    format: DatasetFormatSchema.optional(),
    text_field: z.string().min(1).max(200).default('text'),
    skip_bad_lines: z.boolean().default(false),
    validation: z.record(z.string(), z.unknown()).default({}),
  })
  .refine((v) => (v.upload === undefined) !== (v.path === undefined), { message: 'give exactly one of "upload" (a sha256) or "path"' });
export type AddDatasetInput = z.input<typeof AddDatasetInputSchema>;

export const ColumnSchema = z.object({ name: z.string(), type: z.string(), nulls: z.number() });

export const DatasetVersionSchema = z.object({
  id: z.string(),
  dataset: z.string(),
  version: z.number(),
  ref: z.string(),
  format: DatasetFormatSchema,
  text_field: z.string(),
  source_name: z.string().nullable(),
  source_sha256: z.string(),
  source_size: z.number(),
  parquet_sha256: z.string(),
  parquet_size: z.number(),
  records: z.number(),
  skipped_lines: z.number(),
  columns: z.array(ColumnSchema),
  /** The version it was derived from (a transform's parent), as a REF. */
  parent: z.string().nullable(),
  /** The transform recipe that derived it: its sha256 (over the canonical recipe), file name and step kinds. */
  recipe: z.object({ sha256: z.string(), name: z.string().nullable(), steps: z.array(z.string()) }).nullable(),
  created_at: z.string(),
  created_by: z.string().nullable(),
});
export type DatasetVersion = z.infer<typeof DatasetVersionSchema>;

export const DatasetSchema = z.object({
  id: z.string(),
  name: z.string(),
  latest_version: z.number().nullable(),
  versions: z.number(),
  created_at: z.string(),
});
export type Dataset = z.infer<typeof DatasetSchema>;

export const FindingSchema = z.object({
  rule: z.string(),
  severity: z.enum(['error', 'warning', 'info']),
  count: z.number(),
  examples: z.array(z.union([z.string(), z.number()])),
  message: z.string(),
  fix: z.string(),
});

/** INTERFACES.md, "The dataset report". */
export const DatasetReportSchema = z.object({
  dataset: z.string(),
  version: z.number(),
  records: z.number(),
  profile: z.record(z.string(), z.unknown()),
  findings: z.array(FindingSchema),
});
export type DatasetReport = z.infer<typeof DatasetReportSchema>;

export const QueryInputSchema = z.object({
  sql: z.string().min(1).max(100_000),
  limit: z.number().int().min(1).max(10_000).default(1_000),
  timeout_ms: z.number().int().min(100).max(300_000).default(30_000),
});
export type QueryInput = z.input<typeof QueryInputSchema>;

export const RowsResultSchema = z.object({
  columns: z.array(z.object({ name: z.string(), type: z.string() })),
  rows: z.array(z.record(z.string(), z.unknown())),
  truncated: z.boolean(),
});
export type RowsResult = z.infer<typeof RowsResultSchema>;

export const DiffResultSchema = z.object({
  from: z.string(),
  to: z.string(),
  added: z.number(),
  removed: z.number(),
  unchanged: z.number(),
  /** Rows whose key (the `key` column, when given) is in both versions with different contents. */
  changed: z.number().nullable(),
  examples: z.object({ added: z.array(z.record(z.string(), z.unknown())), removed: z.array(z.record(z.string(), z.unknown())) }),
});
export type DiffResult = z.infer<typeof DiffResultSchema>;
