import { randomUUID } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import type { Database } from '../db/database.js';
import type { JobsTable, Tables } from '../db/tables.js';
import { UnavailableError } from '../errors.js';
import { newId } from '../ids.js';
import { pageOf, type Page } from '../paging.js';
import { backoffDelay } from './backoff.js';
import { jobOf, rowOf } from './db-rows.js';
import { jobNotFoundError, leaseLostError, notRetryableError } from './errors.js';
import type { EnqueueInput, Job, JobError, JobFilter, Json, LeasedJob, LeaseRequest, LeaseStatus } from './job.js';
import type { JobQueue } from './job-queue.js';
import { parseJobFilter, parseJobSpec } from './spec.js';

export interface DbQueueOptions {
  /** Lease length without heartbeat. */
  leaseMs?: number;
  /** A job whose lease lapses more often than this fails instead of going back to the queue (BullMQ's maxStalledCount). */
  maxLeaseLapses?: number;
}

const WAITING = ['queued', 'retrying'] as const;
// Literal SQL, not bound parameters: SQLite uses a partial index only when it can see that the
// query's condition matches the index's (see migrations/0002-jobs.ts).
const IS_WAITING = sql<boolean>`state in ('queued', 'retrying')`;
const IS_RUNNING = sql<boolean>`state = 'running'`;

/**
 * The embedded queue: jobs are rows of the `jobs` table in the metadata db (SQLite by default; the
 * same code runs on PostgreSQL, leasing with FOR UPDATE SKIP LOCKED). Every state change is one
 * transaction, or one UPDATE guarded by the lease token, which is atomic on its own. On SQLite the
 * transactions are BEGIN IMMEDIATE: leasing takes the write lock before it reads, so two lessees
 * (threads or processes) can never pick the same row.
 */
export class DbQueue implements JobQueue {
  readonly driver = 'embedded';
  readonly leaseMs: number;
  private readonly maxLeaseLapses: number;
  /** Lapsed leases are looked for at most this often (a lapse is late by at most this much). */
  private readonly sweepEveryMs: number;
  private nextSweepAt = 0;

  constructor(
    private readonly database: Database,
    options: DbQueueOptions = {},
  ) {
    this.leaseMs = options.leaseMs ?? 30_000;
    this.maxLeaseLapses = options.maxLeaseLapses ?? 3;
    this.sweepEveryMs = Math.min(1_000, Math.ceil(this.leaseMs / 4));
  }

  private get db() {
    return this.database.db;
  }

  /**
   * Enqueue — one transaction: INSERT … ON CONFLICT (idempotency_key) DO NOTHING, then read back
   * the row holding the key, so a repeated key returns the first job even under concurrent enqueues.
   */
  async enqueue(input: EnqueueInput): Promise<Job> {
    const spec = parseJobSpec(input);
    const row = rowOf(newId('job'), spec, new Date().toISOString());
    if (spec.idempotencyKey === undefined) {
      await this.db.insertInto('jobs').values(row).execute();
      return jobOf(row);
    }
    const key = spec.idempotencyKey;
    return this.database.transaction(async (trx) => {
      await trx.insertInto('jobs').values(row).onConflict((oc) => oc.column('idempotency_key').doNothing()).execute();
      return jobOf(await trx.selectFrom('jobs').selectAll().where('idempotency_key', '=', key).executeTakeFirstOrThrow());
    });
  }

  async get(jobId: string): Promise<Job> {
    const row = await this.db.selectFrom('jobs').selectAll().where('id', '=', jobId).executeTakeFirst();
    if (!row) throw jobNotFoundError(jobId);
    return jobOf(row);
  }

  async list(filter: JobFilter = {}): Promise<Page<Job>> {
    const { states, type, limit, cursor } = parseJobFilter(filter);
    if (states && states.length === 0) return { items: [], next_cursor: null };
    let query = this.db.selectFrom('jobs').selectAll();
    if (states) query = query.where('state', 'in', states);
    if (type) query = query.where('type', '=', type);
    if (cursor) query = query.where('id', '<', cursor);
    const rows = await query.orderBy('id', 'desc').limit(limit + 1).execute();
    return pageOf(rows.map(jobOf), limit, (job) => job.id);
  }

  /**
   * Lease — one statement: UPDATE … WHERE id = (the first waiting job in (priority desc, id) order
   * that is due, of a wanted type and fits the resources) RETURNING *. A single write statement is
   * atomic on its own and takes SQLite's write lock, so two lessees never get the same row; on
   * PostgreSQL the subquery locks its row FOR UPDATE SKIP LOCKED, so concurrent lessees pass each
   * other instead of queueing. Lapsed leases are returned to the queue first (at most every
   * sweepEveryMs), in their own transaction.
   */
  async lease(workerId: string, request: LeaseRequest): Promise<LeasedJob | null> {
    if (request.types && request.types.length === 0) return null;
    const now = new Date();
    const nowIso = now.toISOString();
    if (now.getTime() >= this.nextSweepAt) {
      this.nextSweepAt = now.getTime() + this.sweepEveryMs;
      await this.database.transaction((trx) => this.recoverLapsedLeases(trx, nowIso));
    }
    const leaseExpiresAt = new Date(now.getTime() + this.leaseMs).toISOString();
    const leaseToken = randomUUID();

    let pick = this.db
      .selectFrom('jobs')
      .select('id')
      .where(IS_WAITING)
      .where((eb) => eb.or([eb('run_after', 'is', null), eb('run_after', '<=', nowIso)]))
      .where('cpu_millis', '<=', Math.round(request.resources.cpu * 1000))
      .where('memory_mb', '<=', request.resources.memoryMb)
      .where('gpus', '<=', request.resources.gpus);
    if (request.types) pick = pick.where('type', 'in', [...request.types]);
    pick = pick.orderBy('priority', 'desc').orderBy('id').limit(1);
    if (this.database.dialect === 'postgres') pick = pick.forUpdate().skipLocked();
    const row = await this.db
      .updateTable('jobs')
      .set({ state: 'running', worker_id: workerId, lease_token: leaseToken, lease_expires_at: leaseExpiresAt, started_at: nowIso, run_after: null })
      .where('id', '=', pick)
      .where(IS_WAITING)
      .returningAll()
      .executeTakeFirst();
    if (!row) return null;
    return { job: jobOf(row), leaseToken, leaseExpiresAt, attempt: row.failed_attempts + 1 };
  }

  /**
   * Recovery — one transaction: every running job whose lease ended before `nowIso` goes back
   * to `queued` (the next lessee resumes from its checkpoint), or to `cancelled` if cancellation
   * was asked, or to `failed` once it has lapsed more than maxLeaseLapses times.
   */
  private async recoverLapsedLeases(trx: Transaction<Tables>, nowIso: string): Promise<void> {
    const lapsed = await trx
      .selectFrom('jobs')
      .select(['id', 'lease_lapses', 'cancel_requested'])
      .where(IS_RUNNING)
      .where('lease_expires_at', '<', nowIso)
      .execute();
    for (const job of lapsed) {
      const lapses = job.lease_lapses + 1;
      const released = { lease_lapses: lapses, lease_token: null, lease_expires_at: null, worker_id: null };
      let change: Partial<JobsTable>;
      if (job.cancel_requested === 1) change = { ...released, state: 'cancelled', finished_at: nowIso };
      else if (lapses > this.maxLeaseLapses) {
        const error: JobError = { code: 'worker_lost', message: `The job's lease lapsed ${lapses} times (its worker stopped or was cut off each time), more than the ${this.maxLeaseLapses} allowed.` };
        change = { ...released, state: 'failed', finished_at: nowIso, error: JSON.stringify(error) };
      } else change = { ...released, state: 'queued' };
      await trx.updateTable('jobs').set(change).where('id', '=', job.id).where('state', '=', 'running').execute();
    }
  }

  /** Heartbeat — one UPDATE guarded by the token and the lease still being alive. */
  async extendLease(jobId: string, leaseToken: string): Promise<LeaseStatus> {
    const now = new Date();
    const leaseExpiresAt = new Date(now.getTime() + this.leaseMs).toISOString();
    const row = await this.db
      .updateTable('jobs')
      .set({ lease_expires_at: leaseExpiresAt })
      .where('id', '=', jobId)
      .where('state', '=', 'running')
      .where('lease_token', '=', leaseToken)
      .where('lease_expires_at', '>=', now.toISOString())
      .returning('cancel_requested')
      .executeTakeFirst();
    if (!row) throw await this.lostOrMissing(jobId);
    return { leaseExpiresAt, cancelRequested: row.cancel_requested === 1 };
  }

  /** Complete — one UPDATE guarded by the token: a stale lessee can never overwrite the outcome. */
  async complete(jobId: string, leaseToken: string, result: Json = null): Promise<Job> {
    const now = new Date().toISOString();
    const row = await this.db
      .updateTable('jobs')
      .set({ state: 'succeeded', result: JSON.stringify(result), finished_at: now, lease_token: null, lease_expires_at: null })
      .where('id', '=', jobId)
      .where('state', '=', 'running')
      .where('lease_token', '=', leaseToken)
      .where('lease_expires_at', '>=', now)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw await this.lostOrMissing(jobId);
    return jobOf(row);
  }

  /**
   * Fail — one transaction: read the leased row (checking the token), then move it to retrying
   * with its backoff, to failed, or to cancelled when cancellation was requested.
   */
  async fail(jobId: string, leaseToken: string, error: JobError, options: { retry?: boolean } = {}): Promise<Job> {
    const now = new Date();
    const nowIso = now.toISOString();
    const row = await this.database.transaction(async (trx) => {
      let read = trx
        .selectFrom('jobs')
        .selectAll()
        .where('id', '=', jobId)
        .where('state', '=', 'running')
        .where('lease_token', '=', leaseToken)
        .where('lease_expires_at', '>=', nowIso);
      if (this.database.dialect === 'postgres') read = read.forUpdate();
      const job = await read.executeTakeFirst();
      if (!job) return undefined;
      const failedAttempts = job.failed_attempts + 1;
      const ended = { failed_attempts: failedAttempts, error: JSON.stringify(error), lease_token: null, lease_expires_at: null };
      let change: Partial<JobsTable>;
      if (job.cancel_requested === 1) change = { ...ended, state: 'cancelled', finished_at: nowIso };
      else if (options.retry !== false && failedAttempts < job.max_attempts) {
        const delay = backoffDelay(JSON.parse(job.backoff), failedAttempts);
        change = { ...ended, state: 'retrying', run_after: new Date(now.getTime() + delay).toISOString() };
      } else change = { ...ended, state: 'failed', finished_at: nowIso };
      return trx.updateTable('jobs').set(change).where('id', '=', jobId).returningAll().executeTakeFirstOrThrow();
    });
    if (!row) throw await this.lostOrMissing(jobId);
    return jobOf(row);
  }

  /** Cancel — one transaction: waiting → cancelled; running → cancel_requested; finished → unchanged. */
  async cancel(jobId: string): Promise<Job> {
    const now = new Date().toISOString();
    const row = await this.database.transaction(async (trx) => {
      await trx.updateTable('jobs').set({ state: 'cancelled', finished_at: now, run_after: null }).where('id', '=', jobId).where('state', 'in', WAITING).execute();
      await trx.updateTable('jobs').set({ cancel_requested: 1 }).where('id', '=', jobId).where('state', '=', 'running').execute();
      return trx.selectFrom('jobs').selectAll().where('id', '=', jobId).executeTakeFirst();
    });
    if (!row) throw jobNotFoundError(jobId);
    return jobOf(row);
  }

  /** Retry — one UPDATE, guarded by the state. */
  async retry(jobId: string): Promise<Job> {
    const row = await this.db
      .updateTable('jobs')
      .set({ state: 'queued', failed_attempts: 0, cancel_requested: 0, run_after: null, worker_id: null, started_at: null, finished_at: null, result: null, error: null })
      .where('id', '=', jobId)
      .where('state', 'in', ['failed', 'cancelled'])
      .returningAll()
      .executeTakeFirst();
    if (row) return jobOf(row);
    throw notRetryableError(jobId, (await this.get(jobId)).state);
  }

  async ping(): Promise<void> {
    try {
      await this.database.ping();
    } catch (err) {
      throw new UnavailableError('queue_unavailable', `The job queue's database cannot be reached: ${(err as Error).message}`, undefined, { cause: err });
    }
  }

  /** The database belongs to whoever opened it; closing the queue leaves it open. */
  async close(): Promise<void> {}

  private async lostOrMissing(jobId: string): Promise<Error> {
    const exists = await this.db.selectFrom('jobs').select('id').where('id', '=', jobId).executeTakeFirst();
    return exists ? leaseLostError(jobId) : jobNotFoundError(jobId);
  }
}
