import { requireRole, type Actor } from '../auth/index.js';
import { ValidationError } from '../platform/errors.js';
import type { EventStore, JobEvent, JobEventKind } from '../platform/events/index.js';
import type { Page } from '../platform/paging.js';
import { TERMINAL_STATES, type Job, type JobQueue, type JobState } from '../platform/queue/index.js';
import { follow } from './follow.js';
import type { JobTypeRegistry } from './job-types.js';
import { SubmitJobInputSchema, type SubmitJobInput } from './schema.js';

export interface JobListQuery {
  state?: JobState | JobState[];
  type?: string;
  limit?: number;
  cursor?: string;
}

export interface JobEventsQuery {
  afterSeq?: number;
  limit?: number;
  kinds?: JobEventKind[];
}

export interface JobServiceOptions {
  /** How often a follower checks whether a finished job's stream is complete (see follow.ts). */
  followCheckMs?: number;
}

const DEFAULT_EVENTS_PAGE = 100;

/**
 * Jobs as users see them: submit (checked against the job type registry), read, cancel, retry,
 * and each job's event stream. Viewers read; editors submit, cancel and retry; a type may need more
 * (`command` needs admin). The state changes made here are appended to the job's stream; the worker
 * appends the rest (running, retrying, succeeded, failed, cancelled after a running job stops).
 */
export class JobService {
  private readonly followCheckMs: number;

  constructor(
    private readonly queue: JobQueue,
    private readonly eventStore: EventStore,
    readonly types: JobTypeRegistry,
    options: JobServiceOptions = {},
  ) {
    this.followCheckMs = options.followCheckMs ?? 2_000;
  }

  /** Validates the type and its payload, enqueues the job and records `state: queued`. Same idempotency key → the first job. */
  async submit(actor: Actor, input: SubmitJobInput): Promise<Job> {
    requireRole(actor, 'editor', 'Submitting jobs');
    const parsed = SubmitJobInputSchema.safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new ValidationError('job_invalid', `Invalid job at "${issue.path.join('.')}": ${issue.message}.`, { issues: parsed.error.issues });
    }
    const spec = parsed.data;
    const definition = this.types.require(spec.type);
    requireRole(actor, definition.role, `Submitting ${spec.type} jobs`);
    const payload = this.types.parsePayload(spec.type, spec.payload);
    const job = await this.queue.enqueue({
      type: spec.type,
      payload: payload as Job['payload'],
      ...(spec.priority === undefined ? {} : { priority: spec.priority }),
      ...(spec.resources ? { resources: spec.resources } : {}),
      ...(spec.maxAttempts === undefined ? {} : { maxAttempts: spec.maxAttempts }),
      ...(spec.timeoutMs === undefined ? {} : { timeoutMs: spec.timeoutMs }),
      ...(spec.idempotencyKey === undefined ? {} : { idempotencyKey: spec.idempotencyKey }),
    });
    // A repeated idempotency key returns the first job, whose stream already begins with `queued`.
    const isNew = spec.idempotencyKey === undefined || (await this.eventStore.list(job.id, { limit: 1 })).length === 0;
    if (isNew) await this.eventStore.append(job.id, [{ kind: 'state', state: 'queued', attempt: 1 }]);
    return job;
  }

  async get(actor: Actor, jobId: string): Promise<Job> {
    requireRole(actor, 'viewer', 'Reading jobs');
    return this.queue.get(jobId);
  }

  /** Newest first. */
  async list(actor: Actor, query: JobListQuery = {}): Promise<Page<Job>> {
    requireRole(actor, 'viewer', 'Listing jobs');
    return this.queue.list(query);
  }

  /**
   * A waiting job is cancelled at once; a running one is asked to stop (its worker aborts it at the
   * next heartbeat and records `cancelled`). A finished job is returned unchanged.
   */
  async cancel(actor: Actor, jobId: string): Promise<Job> {
    requireRole(actor, 'editor', 'Cancelling jobs');
    const before = await this.queue.get(jobId);
    if (TERMINAL_STATES.includes(before.state)) return before;
    const job = await this.queue.cancel(jobId);
    if (job.state === 'cancelled') {
      await this.eventStore.append(jobId, [{ kind: 'state', state: 'cancelled' }]);
    } else if (job.cancelRequested && !before.cancelRequested) {
      await this.eventStore.append(jobId, [
        { kind: 'log', level: 'info', message: `Cancellation requested by ${actor.name}; the worker stops the job at its next heartbeat.` },
      ]);
    }
    return job;
  }

  /** A failed or cancelled job runs again with all its attempts (ConflictError `job_not_retryable` otherwise). */
  async retry(actor: Actor, jobId: string): Promise<Job> {
    requireRole(actor, 'editor', 'Retrying jobs');
    const before = await this.queue.get(jobId);
    const definition = this.types.get(before.type);
    if (definition) requireRole(actor, definition.role, `Retrying ${before.type} jobs`);
    const job = await this.queue.retry(jobId);
    await this.eventStore.append(jobId, [{ kind: 'state', state: 'queued', attempt: job.failedAttempts + 1 }]);
    return job;
  }

  /** The job's events after `afterSeq`, oldest first; `next_cursor` is the last seq when more may follow. */
  async events(actor: Actor, jobId: string, query: JobEventsQuery = {}): Promise<Page<JobEvent>> {
    requireRole(actor, 'viewer', 'Reading job events');
    await this.queue.get(jobId);
    const limit = Math.min(Math.max(1, query.limit ?? DEFAULT_EVENTS_PAGE), 1_000);
    const items = await this.eventStore.list(jobId, { afterSeq: query.afterSeq ?? 0, limit, ...(query.kinds ? { kinds: query.kinds } : {}) });
    const last = items[items.length - 1];
    return { items, next_cursor: items.length === limit && last ? String(last.seq) : null };
  }

  /**
   * The job's events after `afterSeq`, then live ones, each once and in order, until the job has
   * finished and its last event was delivered, or `signal` aborts. NotFoundError when no such job.
   */
  async subscribe(actor: Actor, jobId: string, afterSeq: number, signal: AbortSignal): Promise<AsyncIterable<JobEvent>> {
    requireRole(actor, 'viewer', 'Reading job events');
    await this.queue.get(jobId);
    return follow({ queue: this.queue, events: this.eventStore, jobId, afterSeq, signal, checkMs: this.followCheckMs });
  }
}
