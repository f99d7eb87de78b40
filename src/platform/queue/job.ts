import { z } from 'zod';

/**
 * A job as every queue adapter reports it. States:
 *
 *   queued ──lease──▶ running ──complete──▶ succeeded
 *     ▲  │               │ └──fail, attempts left──▶ retrying ──(backoff elapsed)──▶ leasable again
 *     │  │               ├──fail, no attempts left (or not retryable)──▶ failed
 *     │  │               ├──lease lapses──▶ queued (or failed after too many lapses)
 *     │  └──cancel──▶ cancelled ◀──fail/lapse after cancel was requested──┘
 *
 * `retrying` is leasable once `runAfter` has passed; it keeps that name until a worker takes it,
 * so a client can tell "waiting for its backoff" from "never ran".
 */
export const JOB_STATES = ['queued', 'running', 'retrying', 'succeeded', 'failed', 'cancelled'] as const;
export type JobState = (typeof JOB_STATES)[number];
export const TERMINAL_STATES: readonly JobState[] = ['succeeded', 'failed', 'cancelled'];

/** What a job needs to run, and what a worker has free: cores (fractions allowed), memory, GPUs. */
export const ResourcesSchema = z.object({
  cpu: z.number().min(0).max(1024).default(1),
  memoryMb: z.number().int().min(0).default(0),
  gpus: z.number().int().min(0).max(64).default(0),
});
export type Resources = z.infer<typeof ResourcesSchema>;

/** Delay before attempt n+1 is min(maxMs, baseMs · 2^(n-1)), scaled down by up to `jitter` (0..1) at random. */
export const BackoffSchema = z.object({
  baseMs: z.number().int().min(0).default(1_000),
  maxMs: z.number().int().min(0).default(5 * 60_000),
  jitter: z.number().min(0).max(1).default(0.2),
});
export type Backoff = z.infer<typeof BackoffSchema>;

export const MIN_PRIORITY = 0;
export const MAX_PRIORITY = 1_000;

/** The input of `JobQueue.enqueue`. Only `type` is required. */
export const EnqueueInputSchema = z.object({
  /** The handler that runs it, e.g. `dataset.profile`. */
  type: z
    .string()
    .min(1)
    .max(100)
    .regex(/^[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)*$/, 'a job type is lowercase words joined by dots, e.g. "dataset.profile"'),
  /** Validated by the handler's own zod schema when it runs; here only "is it JSON". */
  payload: z.json().default({}),
  /** Higher runs first; equal priorities run oldest first. */
  priority: z.number().int().min(MIN_PRIORITY).max(MAX_PRIORITY).default(0),
  resources: ResourcesSchema.prefault({}),
  /** Attempts in all, the first one included. A lapsed lease is not a failed attempt (see maxLeaseLapses). */
  maxAttempts: z.number().int().min(1).max(100).default(3),
  backoff: BackoffSchema.prefault({}),
  /** Wall-clock limit of one attempt, enforced by the worker (AbortSignal, then fail). Null: none. */
  timeoutMs: z.number().int().positive().nullable().default(null),
  /** Enqueuing the same key again returns the job made the first time, whatever its state. */
  idempotencyKey: z.string().min(1).max(200).optional(),
});
export type EnqueueInput = z.input<typeof EnqueueInputSchema>;
export type JobSpec = z.output<typeof EnqueueInputSchema>;

/** What a failed attempt reports. The stack goes to logs and job events, never to API clients. */
export const JobErrorSchema = z.object({
  message: z.string(),
  stack: z.string().optional(),
  /** A stable code where the worker knows one (`job_timeout`, `job_cancelled`, `worker_lost` ...). */
  code: z.string().optional(),
});
export type JobError = z.infer<typeof JobErrorSchema>;

export type Json = z.infer<ReturnType<typeof z.json>>;

export interface Job {
  id: string;
  type: string;
  payload: Json;
  state: JobState;
  priority: number;
  resources: Resources;
  maxAttempts: number;
  backoff: Backoff;
  timeoutMs: number | null;
  idempotencyKey: string | null;
  /** Attempts that ended in `fail` so far. The running (or next) attempt is number failedAttempts + 1. */
  failedAttempts: number;
  /** Times a lease lapsed (worker died or was cut off) and the job went back to the queue. */
  leaseLapses: number;
  /** Set by `cancel` on a running job: the worker sees it at its next heartbeat and aborts. */
  cancelRequested: boolean;
  /** When a `retrying` job may run again. */
  runAfter: string | null;
  /** The lease holder, while running (null on BullMQ, which does not record it). */
  workerId: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  result: Json | null;
  /** The last failed attempt's error (also kept when a later attempt succeeds). */
  error: JobError | null;
}

/** A job handed to one worker, with the token that proves it still holds the lease. */
export interface LeasedJob {
  job: Job;
  leaseToken: string;
  leaseExpiresAt: string;
  /** 1-based number of this attempt. */
  attempt: number;
}

export interface LeaseRequest {
  /** Only these job types (the handlers this worker has); all types when absent. */
  types?: readonly string[];
  /** What the worker has free right now; only jobs whose needs fit are leased. */
  resources: Resources;
}

/** The answer to a heartbeat. */
export interface LeaseStatus {
  leaseExpiresAt: string;
  /** The job was cancelled: abort the handler, then call `fail` (the job ends as cancelled). */
  cancelRequested: boolean;
}

export interface JobFilter {
  state?: JobState | readonly JobState[];
  type?: string;
  limit?: number;
  /** Opaque: the `next_cursor` of the previous page. */
  cursor?: string;
}

/** True when a worker with `free` resources can run a job that needs `needs`. */
export function fits(needs: Resources, free: Resources): boolean {
  return needs.cpu <= free.cpu && needs.memoryMb <= free.memoryMb && needs.gpus <= free.gpus;
}
