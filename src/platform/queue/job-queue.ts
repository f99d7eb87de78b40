import type { Page } from '../paging.js';
import type { EnqueueInput, Job, JobError, JobFilter, Json, LeasedJob, LeaseRequest, LeaseStatus } from './job.js';

/**
 * The job queue port. Two adapters implement it and pass one contract suite (queue.contract.ts):
 * the embedded queue in the metadata db (db-queue.ts) and BullMQ on Redis or PostgreSQL
 * (bullmq-queue.ts). Semantics in docs/decisions/008-job-queue.md.
 *
 * A worker drives it like this:
 * ```
 * const leased = await queue.lease(workerId, { types, resources: free });
 * // heartbeat every leaseMs/3: const { cancelRequested } = await queue.extendLease(id, token);
 * await queue.complete(id, token, result);   // or queue.fail(id, token, { message, stack });
 * ```
 * Every call that takes a lease token throws ConflictError `job_lease_lost` when the token is stale
 * (lease lapsed, job re-leased or finished): the worker must then drop the job and its outputs.
 */
export interface JobQueue {
  /** 'embedded' | 'bullmq-redis' | 'bullmq-postgres' */
  readonly driver: string;
  /** How long a lease lasts without a heartbeat. */
  readonly leaseMs: number;

  /** Validates and stores a job (ValidationError `job_invalid`). Same idempotency key → the existing job. */
  enqueue(input: EnqueueInput): Promise<Job>;
  /** NotFoundError `job_not_found` when there is no such job. */
  get(jobId: string): Promise<Job>;
  /** Newest first. */
  list(filter?: JobFilter): Promise<Page<Job>>;

  /**
   * The most urgent job (priority, then age) whose type is in `types` and whose needs fit
   * `resources`, now running under a fresh lease; null when none. Also returns to the queue jobs
   * whose leases lapsed.
   */
  lease(workerId: string, request: LeaseRequest): Promise<LeasedJob | null>;
  /** Heartbeat: the lease now ends `leaseMs` from now. Tells the worker whether the job was cancelled. */
  extendLease(jobId: string, leaseToken: string): Promise<LeaseStatus>;
  /** running → succeeded, storing the result. */
  complete(jobId: string, leaseToken: string, result?: Json): Promise<Job>;
  /**
   * Ends the attempt with an error: → retrying (backoff) while attempts remain and `retry` is not
   * false, else → failed; → cancelled when cancellation was requested.
   */
  fail(jobId: string, leaseToken: string, error: JobError, options?: { retry?: boolean }): Promise<Job>;
  /** queued/retrying → cancelled at once; running → cancelRequested (the worker aborts); finished → unchanged. */
  cancel(jobId: string): Promise<Job>;
  /**
   * failed/cancelled → queued again with all its attempts (`crucible job retry`). The lease-lapse
   * count is kept: a job that crash-looped gets no fresh allowance. ConflictError `job_not_retryable`
   * in any other state.
   */
  retry(jobId: string): Promise<Job>;

  /** Throws UnavailableError when the backing store cannot be reached (/readyz). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
