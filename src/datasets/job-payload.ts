/** The `dataset.ingest` job: its type name and payload (shared by the service and the handler). */
import { z } from 'zod';
import { DatasetFormatSchema, DatasetNameSchema } from './schema.js';

export const DATASET_INGEST = 'dataset.ingest';

export const IngestJobPayloadSchema = z
  .object({
    name: DatasetNameSchema,
    /** sha256 of an uploaded blob; removed again when the ingest fails and nothing else uses it. */
    upload: z.string().regex(/^[0-9a-f]{64}$/).optional(),
    /** An absolute server-side path (file or folder); admin only, checked at submission. */
    path: z.string().min(1).optional(),
    filename: z.string().min(1),
    format: DatasetFormatSchema.optional(),
    text_field: z.string().min(1).default('text'),
    skip_bad_lines: z.boolean().default(false),
    validation: z.record(z.string(), z.unknown()).default({}),
    created_by: z.string().nullable().default(null),
  })
  .refine((p) => (p.upload === undefined) !== (p.path === undefined), { message: 'give exactly one of upload or path' });
export type IngestJobPayload = z.infer<typeof IngestJobPayloadSchema>;
