import type { JobsTable } from '../db/tables.js';
import type { Backoff, Job, JobError, JobSpec, JobState, Json } from './job.js';

/** Rows of the `jobs` table ⇄ Job objects: the only place that knows the column encodings. */

export function rowOf(id: string, spec: JobSpec, createdAt: string): JobsTable {
  return {
    id,
    type: spec.type,
    payload: JSON.stringify(spec.payload),
    state: 'queued',
    priority: spec.priority,
    cpu_millis: Math.round(spec.resources.cpu * 1000),
    memory_mb: spec.resources.memoryMb,
    gpus: spec.resources.gpus,
    max_attempts: spec.maxAttempts,
    backoff: JSON.stringify(spec.backoff),
    timeout_ms: spec.timeoutMs,
    idempotency_key: spec.idempotencyKey ?? null,
    failed_attempts: 0,
    lease_lapses: 0,
    cancel_requested: 0,
    run_after: null,
    worker_id: null,
    lease_token: null,
    lease_expires_at: null,
    created_at: createdAt,
    started_at: null,
    finished_at: null,
    result: null,
    error: null,
  };
}

export function jobOf(row: JobsTable): Job {
  return {
    id: row.id,
    type: row.type,
    payload: JSON.parse(row.payload) as Json,
    state: row.state as JobState,
    priority: row.priority,
    resources: { cpu: row.cpu_millis / 1000, memoryMb: row.memory_mb, gpus: row.gpus },
    maxAttempts: row.max_attempts,
    backoff: JSON.parse(row.backoff) as Backoff,
    timeoutMs: row.timeout_ms,
    idempotencyKey: row.idempotency_key,
    failedAttempts: row.failed_attempts,
    leaseLapses: row.lease_lapses,
    cancelRequested: row.cancel_requested === 1,
    runAfter: row.run_after,
    workerId: row.worker_id,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    result: row.result === null ? null : (JSON.parse(row.result) as Json),
    error: row.error === null ? null : (JSON.parse(row.error) as JobError),
  };
}
