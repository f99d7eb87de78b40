/** The `dataset.ingest` job: its type name and payload (shared by the service and the handler). */
import { z } from 'zod';
import type { JobTypeDefinition } from '../jobs/index.js';
import { DatasetFormatSchema, DatasetNameSchema } from './schema.js';
import { transformJobType } from './transforms/job-payload.js';

export const DATASET_INGEST = 'dataset.ingest';

/** What an ingest job asks of its worker; memoryMb becomes the child's V8 heap limit (--max-old-space-size). */
export const INGEST_RESOURCES = { cpu: 1, memoryMb: 1024 } as const;

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

/** The job types this domain adds to the platform's registry. */
export const datasetJobTypes: JobTypeDefinition[] = [
  {
    type: DATASET_INGEST,
    payload: IngestJobPayloadSchema,
    // Submitted by the datasets service on the caller's behalf (POST /api/v1/datasets checks the
    // caller's role); directly through /api/v1/jobs only by admins, since it can read server paths.
    role: 'admin',
    description: 'ingests a file into a dataset version (use POST /api/v1/datasets)',
  },
  transformJobType,
];
