import { z } from 'zod';

export const RUN_STATUSES = ['running', 'finished', 'failed', 'killed'] as const;
export const RunStatusSchema = z.enum(RUN_STATUSES);
export type RunStatus = z.infer<typeof RunStatusSchema>;

/** What one log-batch call may carry (as MLflow's log-batch: larger batches are split by the clients). */
export const LOG_BATCH_LIMITS = { metrics: 1000, params: 100, tags: 100 } as const;
/** Runs one compare call may align. */
export const MAX_COMPARE_RUNS = 20;

/** Keys of params and tags, and metric names: `lr`, `optim/beta1`, `eval loss (val)`. No `,` or `=`: they separate filters. */
export const KeySchema = z
  .string()
  .min(1, 'a key must not be empty')
  .max(250, 'keys are at most 250 characters')
  .regex(/^[^\x00-\x1f\x7f,=]+$/, 'no commas, "=" or control characters');

/** Params and tags are stored as text; numbers and booleans are accepted and written as JSON writes them. */
const ScalarSchema = z.union([z.string(), z.number(), z.boolean()]);
export const ParamValueSchema = ScalarSchema.refine((v) => String(v).length <= 6000, 'param values are at most 6,000 characters');
export const TagValueSchema = ScalarSchema.refine((v) => String(v).length <= 5000, 'tag values are at most 5,000 characters');
const IsoTime = z.iso.datetime({ offset: true, message: 'an ISO-8601 time such as 2026-01-31T12:00:00Z' });

/** One metric point as a client logs it. `timestamp` defaults to the time the server receives it. */
export const MetricInputSchema = z.object({
  name: KeySchema,
  value: z.number({ message: 'a finite number' }),
  step: z.number().int().min(0).max(2_147_483_647).default(0),
  timestamp: IsoTime.optional(),
});
export type MetricInput = z.input<typeof MetricInputSchema>;

const ParamsMap = z.record(KeySchema, ParamValueSchema);
const TagsMap = z.record(KeySchema, TagValueSchema);

/** `POST /api/v1/runs`, `TrackingService.create`. */
export const CreateRunInputSchema = z.object({
  name: z.string().min(1).max(250).optional(),
  job_id: z.string().min(1).max(100).nullable().optional(),
  params: ParamsMap.optional(),
  tags: TagsMap.optional(),
  start_time: IsoTime.optional(),
});
export type CreateRunInput = z.input<typeof CreateRunInputSchema>;

/**
 * `POST /api/v1/runs/{id}/log-batch`: params (set once), tags (overwritten) and metric points
 * (appended), all or nothing. Limits: LOG_BATCH_LIMITS, checked by the service.
 */
export const LogBatchInputSchema = z.object({
  params: ParamsMap.optional(),
  tags: TagsMap.optional(),
  metrics: z.array(MetricInputSchema).optional(),
});
export type LogBatchInput = z.input<typeof LogBatchInputSchema>;

/** What a log-batch stored: how many of each. */
export const LogBatchResultSchema = z.object({ run_id: z.string(), params: z.number(), tags: z.number(), metrics: z.number() });
export type LogBatchResult = z.infer<typeof LogBatchResultSchema>;

/** `PATCH /api/v1/runs/{id}`: a terminal status sets `end_time` (now unless given); `running` clears it. */
export const UpdateRunInputSchema = z.object({
  name: z.string().min(1).max(250).optional(),
  status: RunStatusSchema.optional(),
  end_time: IsoTime.optional(),
});
export type UpdateRunInput = z.input<typeof UpdateRunInputSchema>;

/** `POST /api/v1/runs/{id}/artifacts`: names a blob already stored (an upload's sha256). */
export const LogArtifactInputSchema = z.object({
  name: z.string().min(1).max(500).regex(/^[^\0\\]+$/, 'no NUL or backslash').refine((n) => !n.split('/').some((p) => p === '..' || p === ''), 'a relative path without empty or ".." parts'),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'the sha256 of an upload (64 lowercase hex digits)'),
});
export type LogArtifactInput = z.infer<typeof LogArtifactInputSchema>;

export const MetricPointSchema = z.object({ name: z.string(), step: z.number(), value: z.number(), timestamp: z.string() });
export type MetricPoint = z.infer<typeof MetricPointSchema>;

export const ArtifactSchema = z.object({ name: z.string(), sha256: z.string(), size: z.number(), created_at: z.string() });
export type Artifact = z.infer<typeof ArtifactSchema>;

/** A run as the API shows it. `metrics` holds each metric's last logged point. */
export const RunViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  job_id: z.string().nullable(),
  status: RunStatusSchema,
  start_time: z.string(),
  end_time: z.string().nullable(),
  created_by: z.string().nullable(),
  params: z.record(z.string(), z.string()),
  tags: z.record(z.string(), z.string()),
  metrics: z.record(z.string(), z.object({ step: z.number(), value: z.number(), timestamp: z.string() })),
  artifacts: z.array(ArtifactSchema),
});
export type RunView = z.infer<typeof RunViewSchema>;

/**
 * `GET /api/v1/runs/compare?ids=a,b`: for each metric, the union of the runs' steps (ascending) and,
 * per run, its value at each step (null where it logged none; the last logged where several);
 * params that differ (missing counts as differing, shown as null) and params the runs share.
 */
export const RunComparisonSchema = z.object({
  runs: z.array(RunViewSchema.pick({ id: true, name: true, status: true, job_id: true, start_time: true, end_time: true })),
  metrics: z.array(z.object({ name: z.string(), steps: z.array(z.number()), values: z.record(z.string(), z.array(z.number().nullable())) })),
  params: z.object({
    differing: z.array(z.object({ key: z.string(), values: z.record(z.string(), z.string().nullable()), missing_in: z.array(z.string()) })),
    same: z.record(z.string(), z.string()),
  }),
});
export type RunComparison = z.infer<typeof RunComparisonSchema>;

/** Params are text: numbers and booleans as JSON writes them, so every client stores the same string. */
export function paramText(value: string | number | boolean): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}
