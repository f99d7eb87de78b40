import { randomUUID } from 'node:crypto';
import { ErrorCode, Job as BullJob, UnrecoverableError, type JobState as BullState } from 'bullmq';
import { UnavailableError } from '../errors.js';
import { pageOf, type Page } from '../paging.js';
import { backoffDelay } from './backoff.js';
import { bullmqBackend, type BullmqBackend } from './bullmq-backend.js';
import { bullJobId, bullPriority, CANCELLED_MARK, jobIdOf, jobOf, parseJobId, type Envelope } from './bullmq-jobs.js';
import { laneOf, LaneRegistry, type BullJobOf, type LaneHandle } from './bullmq-lanes.js';
import { jobNotFoundError, leaseLostError, notRetryableError } from './errors.js';
import { JOB_STATES, type EnqueueInput, type Job, type JobError, type JobFilter, type JobState, type Json, type LeasedJob, type LeaseRequest, type LeaseStatus } from './job.js';
import type { JobQueue } from './job-queue.js';
import { parseJobFilter, parseJobSpec } from './spec.js';

export interface BullmqQueueOptions {
  /** redis://… or postgres://… */
  url: string;
  /** Prefix of the BullMQ queue names (one per lane, plus `<name>.lanes`). No ':' allowed. */
  name?: string;
  leaseMs?: number;
  /** BullMQ's maxStalledCount: a job whose lock lapses more often than this fails. */
  maxLeaseLapses?: number;
}

/** BullMQ states that can hold jobs in each of our states. */
const BULL_STATES: Record<JobState, BullState[]> = {
  queued: ['waiting', 'prioritized', 'delayed'],
  retrying: ['delayed'],
  running: ['active'],
  succeeded: ['completed'],
  failed: ['failed'],
  cancelled: ['waiting', 'prioritized', 'delayed', 'failed'],
};
const LEASE_LOST_CODES = new Set<number>([ErrorCode.JobLockNotExist, ErrorCode.JobLockMismatch, ErrorCode.JobNotInState]);

/**
 * The team-mode queue: BullMQ on Redis or on PostgreSQL (BullMQ's own backend), mapped onto the
 * JobQueue contract (docs/decisions/008-job-queue.md). Each state change is one BullMQ command,
 * which BullMQ runs atomically (a Lua script on Redis, a SQL function on PostgreSQL):
 *   lease = moveToActive (getNextJob: takes the job and its lock, our lease token, in one step),
 *   heartbeat = extendLock, complete = moveToFinished, fail = moveToFinished/moveToDelayed
 *   (BullMQ decides retry from attempts and our backoff strategy), lapsed lease = BullMQ's stalled
 *   job check (moveStalledJobsToWait), cancel = one data update that lease and heartbeats act on.
 */
export class BullmqQueue implements JobQueue {
  readonly driver: string;
  readonly leaseMs: number;
  private readonly backend: BullmqBackend;
  private readonly lanes: LaneRegistry;
  private lastError: Error | undefined;

  constructor(options: BullmqQueueOptions) {
    this.backend = bullmqBackend(options.url);
    this.driver = `bullmq-${this.backend.kind}`;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.lanes = new LaneRegistry(this.backend, options.name ?? 'crucible', {
      leaseMs: this.leaseMs,
      maxLeaseLapses: options.maxLeaseLapses ?? 3,
      // Our backoff formula, so both adapters wait the same; BullMQ calls it with attemptsMade + 1.
      backoffStrategy: (failedAttempts, _type, _err, job) => (job ? backoffDelay(job.data.backoff, failedAttempts) : 0),
      onError: (err) => {
        this.lastError = err;
      },
    });
  }

  async enqueue(input: EnqueueInput): Promise<Job> {
    const spec = parseJobSpec(input);
    const lane = laneOf(spec.type, spec.resources);
    const handle = await this.lanes.ensure(lane);
    const bullId = bullJobId(spec);
    if (spec.idempotencyKey !== undefined) {
      // Within a lane BullMQ refuses a second job with the same id atomically; the same key sent
      // with another type or resources lands in another lane, so look there first (not atomic).
      for (const other of await this.lanes.all()) {
        if (other === handle) continue;
        const existing = await other.queue.getJob(bullId);
        if (existing) return jobOf(other.lane, existing, await existing.getState());
      }
    }
    const envelope: Envelope = { payload: spec.payload, priority: spec.priority, backoff: spec.backoff, timeoutMs: spec.timeoutMs, idempotencyKey: spec.idempotencyKey ?? null };
    const added = await handle.queue.add(spec.type, envelope, {
      jobId: bullId,
      priority: bullPriority(spec.priority),
      attempts: spec.maxAttempts,
      backoff: { type: 'crucible' },
    });
    if (spec.idempotencyKey === undefined) return jobOf(lane, added, 'prioritized');
    const stored = await handle.queue.getJob(bullId); // the first job with this key, whatever this call sent
    return jobOf(lane, stored!, await stored!.getState());
  }

  async get(jobId: string): Promise<Job> {
    const { handle, job } = await this.find(jobId);
    return jobOf(handle.lane, job, await job.getState());
  }

  /** Newest first. BullMQ lists per state and per lane, so this reads them all and sorts: fine for thousands of jobs. */
  async list(filter: JobFilter = {}): Promise<Page<Job>> {
    const { states, type, limit, cursor } = parseJobFilter(filter);
    const wanted = new Set<JobState>(states ?? JOB_STATES);
    const bullStates = new Set([...wanted].flatMap((state) => BULL_STATES[state]));
    const jobs: Job[] = [];
    for (const handle of await this.lanes.all()) {
      if (type && handle.lane.type !== type) continue;
      for (const state of bullStates) {
        for (const job of (await handle.queue.getJobs([state], 0, -1)) as BullJobOf[]) {
          if (!job?.id) continue;
          const mapped = jobOf(handle.lane, job, state);
          if (wanted.has(mapped.state)) jobs.push(mapped);
        }
      }
    }
    const key = (job: Job) => `${job.createdAt}|${job.id}`;
    const sorted = [...new Map(jobs.map((job) => [job.id, job])).values()].sort((a, b) => (key(a) < key(b) ? 1 : -1));
    const after = cursor ? sorted.filter((job) => key(job) < cursor) : sorted;
    return pageOf(after.slice(0, limit + 1), limit, key);
  }

  /**
   * Lease: pick the fitting lanes, most urgent head first, and take a job from the first that has
   * one (getNextJob: one atomic step that also promotes due retries). A job cancelled while it
   * waited, or over the stall limit, is finalised here (cancelled, failed) and the next one taken.
   */
  async lease(workerId: string, request: LeaseRequest): Promise<LeasedJob | null> {
    const lanes = await this.orderByHead(await this.lanes.fitting(request));
    for (const handle of lanes) {
      const worker = await handle.lessee();
      for (;;) {
        const leaseToken = `${workerId}.${randomUUID()}`;
        const job = (await worker.getNextJob(leaseToken, { block: false })) as BullJobOf | undefined;
        if (!job) break;
        const leaseExpiresAt = new Date(Date.now() + this.leaseMs).toISOString();
        // What BullMQ's own processing loop would do before running a job: apply a deferred
        // failure (over the stall limit) or, ours, a cancellation that came while it waited.
        const ending = job.data.cancelRequestedAt !== undefined ? `${CANCELLED_MARK}cancelled before it ran` : job.deferredFailure;
        if (ending) {
          await job.moveToFailed(new UnrecoverableError(ending), leaseToken, false);
          continue;
        }
        const leased = jobOf(handle.lane, job, 'active');
        return { job: { ...leased, workerId }, leaseToken, leaseExpiresAt, attempt: job.attemptsMade + 1 };
      }
    }
    return null;
  }

  /** With several lanes, look at each one's next job so that priority (then age) holds across lanes too. */
  private async orderByHead(lanes: LaneHandle[]): Promise<LaneHandle[]> {
    if (lanes.length < 2) return lanes;
    const heads = await Promise.all(
      lanes.map(async (handle) => {
        // Jobs back from a lapsed lease sit in BullMQ's plain wait list, which it serves first.
        const [head] = (await handle.queue.getJobs(['waiting'], 0, 0, true)).concat(await handle.queue.getJobs(['prioritized'], 0, 0, true));
        return { handle, rank: head ? [head.opts.priority ?? 0, head.timestamp] : [Infinity, Infinity] };
      }),
    );
    heads.sort((a, b) => a.rank[0]! - b.rank[0]! || a.rank[1]! - b.rank[1]!);
    return heads.map((h) => h.handle);
  }

  /** Heartbeat: extendLock (atomic, checks the token), then read the cancel flag. */
  async extendLease(jobId: string, leaseToken: string): Promise<LeaseStatus> {
    const { job } = await this.find(jobId);
    const extended = await job.extendLock(leaseToken, this.leaseMs).catch((err: unknown) => this.rethrow(jobId, err));
    if (!extended) throw leaseLostError(jobId);
    return { leaseExpiresAt: new Date(Date.now() + this.leaseMs).toISOString(), cancelRequested: job.data.cancelRequestedAt !== undefined };
  }

  async complete(jobId: string, leaseToken: string, result: Json = null): Promise<Job> {
    const { handle, job } = await this.find(jobId);
    await job.moveToCompleted(result, leaseToken, false).catch((err: unknown) => this.rethrow(jobId, err));
    job.returnvalue = result;
    job.finishedOn = Date.now();
    return jobOf(handle.lane, job, 'completed');
  }

  async fail(jobId: string, leaseToken: string, error: JobError, options: { retry?: boolean } = {}): Promise<Job> {
    const { handle } = await this.find(jobId);
    // Read through the lane's Worker: BullMQ takes the backoff strategy from the queue object it was read with.
    const worker = await handle.lessee();
    const job = (await BullJob.fromId(worker as never, parseJobId(jobId)!.bullId)) as BullJobOf | undefined;
    if (!job) throw jobNotFoundError(jobId);
    const cancelled = job.data.cancelRequestedAt !== undefined;
    const message = cancelled ? `${CANCELLED_MARK}${error.message}` : error.message;
    const err = cancelled || options.retry === false ? new UnrecoverableError(message) : new Error(message);
    err.stack = error.stack ?? `Error: ${error.message}`;
    await job.moveToFailed(err, leaseToken, false).catch((e: unknown) => this.rethrow(jobId, e));
    return this.get(jobId);
  }

  /** Cancel: one atomic data update. Waiting jobs read as cancelled from then on; running ones learn it at their heartbeat. */
  async cancel(jobId: string): Promise<Job> {
    const { handle, job } = await this.find(jobId);
    const state = await job.getState();
    if (state === 'completed' || state === 'failed' || job.data.cancelRequestedAt !== undefined) return jobOf(handle.lane, job, state);
    await job.updateData({ ...job.data, cancelRequestedAt: new Date().toISOString() });
    return this.get(jobId);
  }

  /**
   * Retry: clear the cancel flag (one data update), then, for a finished job, BullMQ's retry (one
   * script: failed → waiting, attempts reset). A cancelled job that never left the wait list only
   * needs the first step. BullMQ keeps its stall counter, as our contract asks.
   */
  async retry(jobId: string): Promise<Job> {
    const { handle, job } = await this.find(jobId);
    const state = await job.getState();
    const current = jobOf(handle.lane, job, state);
    if (current.state !== 'failed' && current.state !== 'cancelled') throw notRetryableError(jobId, current.state);
    if (job.data.cancelRequestedAt !== undefined) {
      const { cancelRequestedAt: _, ...data } = job.data;
      await job.updateData(data);
    }
    if (state === 'failed') await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    return this.get(jobId);
  }

  /** One round trip, bounded: the Redis client queues commands while it reconnects, which would hang /readyz. */
  async ping(timeoutMs = 3_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(this.lastError ?? new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([this.lanes.registryQueue.getJobCounts('wait'), timeout]);
    } catch (err) {
      throw new UnavailableError('queue_unavailable', `BullMQ (${this.backend.kind}) cannot be reached: ${(err as Error).message}. Check CRUCIBLE_QUEUE_URL.`, undefined, { cause: err });
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await this.lanes.close();
  }

  /** Deletes every job and lane of this queue from the datastore (tests and benchmarks). */
  async obliterate(): Promise<void> {
    await this.lanes.obliterate();
  }

  private async find(jobId: string): Promise<{ handle: LaneHandle; job: BullJobOf }> {
    const ids = parseJobId(jobId);
    const handle = ids && (await this.lanes.byId(ids.laneId));
    const job = handle && ((await handle.queue.getJob(ids.bullId)) as BullJobOf | undefined);
    if (!handle || !job) throw jobNotFoundError(jobId);
    return { handle, job };
  }

  /** BullMQ's "lock missing / mismatch / not active" → job_lease_lost; anything else as it came. */
  private rethrow(jobId: string, err: unknown): never {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'number' && LEASE_LOST_CODES.has(code)) throw leaseLostError(jobId);
    if (code === ErrorCode.JobNotExist) throw jobNotFoundError(jobId);
    throw err;
  }
}
