import { z } from 'zod';
import { JOB_EVENT_KINDS, type JobEvent } from '../platform/events/index.js';
import { JOB_STATES, MAX_PRIORITY, MIN_PRIORITY, type Job } from '../platform/queue/index.js';

export const JobStateSchema = z.enum(JOB_STATES);
export const JobEventKindSchema = z.enum(JOB_EVENT_KINDS as ['log', 'metric', 'progress', 'state']);

/** What a client submits (`POST /api/v1/jobs`, `JobService.submit`). The payload is checked by the type's own schema. */
export const SubmitJobInputSchema = z.object({
  type: z.string().min(1, 'give the job type, e.g. "noop"').max(100),
  payload: z.unknown().optional(),
  /** Higher runs first (0–1000). */
  priority: z.number().int().min(MIN_PRIORITY).max(MAX_PRIORITY).optional(),
  resources: z
    .object({
      cpu: z.number().min(0).max(1024).optional(),
      memoryMb: z.number().int().min(0).optional(),
      gpus: z.number().int().min(0).max(64).optional(),
    })
    .optional(),
  /** Attempts in all, the first one included (1–100). */
  maxAttempts: z.number().int().min(1).max(100).optional(),
  /** Wall-clock limit of one attempt. */
  timeoutMs: z.number().int().positive().optional(),
  /** Submitting the same key again returns the job made the first time. */
  idempotencyKey: z.string().min(1).max(200).optional(),
});
export type SubmitJobInput = z.infer<typeof SubmitJobInputSchema>;

/** The HTTP body of `POST /api/v1/jobs`: the same fields, snake_case as everywhere in the API. */
export const SubmitJobBodySchema = z.object({
  type: SubmitJobInputSchema.shape.type,
  payload: z.json().optional(),
  priority: SubmitJobInputSchema.shape.priority,
  resources: z
    .object({
      cpu: z.number().min(0).max(1024).optional(),
      memory_mb: z.number().int().min(0).optional(),
      gpus: z.number().int().min(0).max(64).optional(),
    })
    .optional(),
  max_attempts: SubmitJobInputSchema.shape.maxAttempts,
  timeout_ms: SubmitJobInputSchema.shape.timeoutMs,
  idempotency_key: SubmitJobInputSchema.shape.idempotencyKey,
});
export type SubmitJobBody = z.infer<typeof SubmitJobBodySchema>;

export function submitInputOf(body: SubmitJobBody): SubmitJobInput {
  const { resources } = body;
  return {
    type: body.type,
    payload: body.payload,
    priority: body.priority,
    resources: resources && { cpu: resources.cpu, memoryMb: resources.memory_mb, gpus: resources.gpus },
    maxAttempts: body.max_attempts,
    timeoutMs: body.timeout_ms,
    idempotencyKey: body.idempotency_key,
  };
}

/** A job as the API shows it. The error's stack stays in the job's events and the logs. */
export const JobViewSchema = z.object({
  id: z.string(),
  type: z.string(),
  state: JobStateSchema,
  payload: z.json(),
  priority: z.number(),
  resources: z.object({ cpu: z.number(), memory_mb: z.number(), gpus: z.number() }),
  max_attempts: z.number(),
  timeout_ms: z.number().nullable(),
  idempotency_key: z.string().nullable(),
  /** Attempts that failed so far. */
  failed_attempts: z.number(),
  lease_lapses: z.number(),
  cancel_requested: z.boolean(),
  run_after: z.string().nullable(),
  worker_id: z.string().nullable(),
  created_at: z.string(),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
  result: z.json().nullable(),
  error: z.object({ message: z.string(), code: z.string().optional() }).nullable(),
});
export type JobView = z.infer<typeof JobViewSchema>;

export function jobView(job: Job): JobView {
  return {
    id: job.id,
    type: job.type,
    state: job.state,
    payload: job.payload,
    priority: job.priority,
    resources: { cpu: job.resources.cpu, memory_mb: job.resources.memoryMb, gpus: job.resources.gpus },
    max_attempts: job.maxAttempts,
    timeout_ms: job.timeoutMs,
    idempotency_key: job.idempotencyKey,
    failed_attempts: job.failedAttempts,
    lease_lapses: job.leaseLapses,
    cancel_requested: job.cancelRequested,
    run_after: job.runAfter,
    worker_id: job.workerId,
    created_at: job.createdAt,
    started_at: job.startedAt,
    finished_at: job.finishedAt,
    result: job.result,
    error: job.error && { message: job.error.message, ...(job.error.code ? { code: job.error.code } : {}) },
  };
}

/**
 * A job event as the API shows it (history items and SSE `data:`): the fields of its kind, flat.
 * log: level, message, stream · metric: name, value, step · progress: done, total, message ·
 * state: state, attempt, error {message, stack, code}.
 */
export const JobEventViewSchema = z.object({
  job_id: z.string(),
  seq: z.number().int(),
  at: z.string(),
  kind: JobEventKindSchema,
  level: z.enum(['debug', 'info', 'warn', 'error']).optional(),
  message: z.string().optional(),
  stream: z.enum(['stdout', 'stderr']).optional(),
  name: z.string().optional(),
  value: z.number().optional(),
  step: z.number().optional(),
  done: z.number().optional(),
  total: z.number().optional(),
  state: JobStateSchema.optional(),
  attempt: z.number().optional(),
  error: z.object({ message: z.string(), stack: z.string().optional(), code: z.string().optional() }).optional(),
});
export type JobEventView = z.infer<typeof JobEventViewSchema>;

export function jobEventView(event: JobEvent): JobEventView {
  const { jobId, seq, at, ...fields } = event;
  return { job_id: jobId, seq, at, ...fields };
}
