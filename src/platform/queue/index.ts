/**
 * The job queue port (see job-queue.ts and docs/decisions/008-job-queue.md) and its adapters:
 * the embedded queue in the metadata db, and BullMQ on Redis or PostgreSQL for team mode.
 */
export type { JobQueue } from './job-queue.js';
export {
  BackoffSchema,
  EnqueueInputSchema,
  fits,
  JOB_STATES,
  JobErrorSchema,
  MAX_PRIORITY,
  MIN_PRIORITY,
  ResourcesSchema,
  TERMINAL_STATES,
  type Backoff,
  type EnqueueInput,
  type Job,
  type JobError,
  type JobFilter,
  type JobSpec,
  type JobState,
  type Json,
  type LeasedJob,
  type LeaseRequest,
  type LeaseStatus,
  type Resources,
} from './job.js';
export { backoffDelay } from './backoff.js';
export { createQueue } from './create-queue.js';
export { DbQueue, type DbQueueOptions } from './db-queue.js';
// BullmqQueue is reached through createQueue (which imports it on demand) or its own module, so
// importing this index never loads bullmq.
export type { BullmqQueue, BullmqQueueOptions } from './bullmq-queue.js';
