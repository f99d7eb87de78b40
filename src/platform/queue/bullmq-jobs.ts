import { createHash } from 'node:crypto';
import type { JobState as BullState } from 'bullmq';
import { newId } from '../ids.js';
import type { BullJobOf, Lane } from './bullmq-lanes.js';
import { MAX_PRIORITY, type Backoff, type Job, type JobSpec, type JobState, type Json } from './job.js';

/** What a BullMQ job's `data` holds: the payload plus the fields BullMQ has no place for. */
export interface Envelope {
  payload: Json;
  priority: number;
  backoff: Backoff;
  timeoutMs: number | null;
  idempotencyKey: string | null;
  /** Set by cancel; read by lease (finalises waiting jobs) and heartbeats (running jobs). */
  cancelRequestedAt?: string;
}

/** failedReason prefix of jobs that ended as cancelled (BullMQ has no cancelled state: they are failed jobs). */
export const CANCELLED_MARK = '[cancelled] ';

/** Ours: higher runs first, 0..1000. BullMQ's: lower runs first, and 0 means "no priority" (before all others), so never 0. */
export function bullPriority(priority: number): number {
  return MAX_PRIORITY - priority + 1;
}

/** The BullMQ job id: a ULID, or derived from the idempotency key so that BullMQ itself refuses a second job. */
export function bullJobId(spec: JobSpec): string {
  return spec.idempotencyKey === undefined ? newId() : `idem-${createHash('sha256').update(spec.idempotencyKey).digest('hex').slice(0, 40)}`;
}

/** Our job id names the lane too, so get/complete/fail find the BullMQ queue without a lookup. */
export function jobIdOf(lane: Lane, bullId: string): string {
  return `job_${lane.id}_${bullId}`;
}

export function parseJobId(jobId: string): { laneId: string; bullId: string } | undefined {
  const match = /^job_([0-9a-f]{12})_(.+)$/.exec(jobId);
  return match ? { laneId: match[1]!, bullId: match[2]! } : undefined;
}

const iso = (ms: number | undefined | null) => (ms ? new Date(ms).toISOString() : null);

/** Our state for a BullMQ job in BullMQ state `state`. */
export function stateOf(job: BullJobOf, state: BullState | 'unknown'): JobState {
  const cancelRequested = job.data.cancelRequestedAt !== undefined;
  switch (state) {
    case 'active':
      return 'running';
    case 'completed':
      return 'succeeded';
    case 'failed':
      return job.failedReason?.startsWith(CANCELLED_MARK) ? 'cancelled' : 'failed';
    // A job over BullMQ's stall limit waits with a deferred failure that the next fetch applies: it is failed already.
    case 'delayed':
      return cancelRequested ? 'cancelled' : job.deferredFailure ? 'failed' : job.attemptsMade > 0 ? 'retrying' : 'queued';
    default: // waiting, prioritized, paused
      return cancelRequested ? 'cancelled' : job.deferredFailure ? 'failed' : 'queued';
  }
}

export function jobOf(lane: Lane, job: BullJobOf, state: BullState | 'unknown'): Job {
  const ours = stateOf(job, state);
  const stack = job.stacktrace?.length ? job.stacktrace[job.stacktrace.length - 1] : undefined;
  const failedReason = job.failedReason || job.deferredFailure;
  const reason = failedReason?.startsWith(CANCELLED_MARK) ? failedReason.slice(CANCELLED_MARK.length) : failedReason;
  const finished = ours === 'succeeded' || ours === 'failed' || (ours === 'cancelled' && state === 'failed');
  return {
    id: jobIdOf(lane, job.id!),
    type: job.name,
    payload: job.data.payload,
    state: ours,
    priority: job.data.priority,
    resources: lane.resources,
    maxAttempts: job.opts.attempts ?? 1,
    backoff: job.data.backoff,
    timeoutMs: job.data.timeoutMs,
    idempotencyKey: job.data.idempotencyKey,
    failedAttempts: job.attemptsMade,
    leaseLapses: job.stalledCounter ?? 0,
    cancelRequested: job.data.cancelRequestedAt !== undefined && ours === 'running',
    // BullMQ keeps the backoff delay, not when it ends: the attempt's start plus the delay is a lower bound.
    runAfter: ours === 'retrying' ? iso((job.processedOn ?? job.timestamp) + (job.delay ?? 0)) : null,
    workerId: null,
    createdAt: new Date(job.timestamp).toISOString(),
    startedAt: iso(job.processedOn),
    finishedAt: finished ? (iso(job.finishedOn) ?? new Date().toISOString()) : null,
    result: ours === 'succeeded' ? ((job.returnvalue ?? null) as Json) : null,
    error: reason ? { message: reason, ...(stack ? { stack } : {}) } : null,
  };
}
