import { afterEach, describe, expect, it } from 'vitest';
import { CrucibleError } from '../errors.js';
import type { EnqueueInput, LeasedJob, Resources } from './job.js';
import type { JobQueue } from './job-queue.js';

/** One store (a SQLite file, a Redis queue name, a PostgreSQL database) that a test opens queues on. */
export interface QueueContractTarget {
  /** A queue on this target's store; every call opens the same store again (durability, many processes). */
  open(options: { leaseMs: number; maxLeaseLapses?: number }): Promise<JobQueue>;
  /** Removes the store. Queues opened on it are closed first by the suite. */
  cleanup(): Promise<void>;
}

const CPU: Resources = { cpu: 4, memoryMb: 8_192, gpus: 0 };
const GPU: Resources = { cpu: 8, memoryMb: 65_536, gpus: 2 };
const LONG_LEASE_MS = 60_000;

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (err) {
    return err instanceof CrucibleError ? err.code : `not a CrucibleError: ${String(err)}`;
  }
  return undefined;
}

/** Polls `fn` until it returns a value other than null/undefined; generous bounds, as CPUs are shared. */
async function eventually<T>(fn: () => Promise<T | null | undefined>, timeoutMs = 15_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== null && value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`nothing after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/**
 * The behaviour every JobQueue adapter must have (docs/decisions/008-job-queue.md). Each test gets
 * a fresh target from `create` and cleans it up.
 * @example describeQueueContract('embedded (SQLite)', async () => sqliteTarget(tmp()))
 */
export function describeQueueContract(name: string, create: () => Promise<QueueContractTarget>): void {
  describe(`JobQueue contract: ${name}`, () => {
    let target: QueueContractTarget | undefined;
    const opened: JobQueue[] = [];

    async function open(leaseMs = LONG_LEASE_MS, maxLeaseLapses?: number): Promise<JobQueue> {
      target ??= await create();
      const queue = await target.open({ leaseMs, ...(maxLeaseLapses === undefined ? {} : { maxLeaseLapses }) });
      opened.push(queue);
      return queue;
    }

    afterEach(async () => {
      for (const queue of opened.splice(0)) await queue.close();
      await target?.cleanup();
      target = undefined;
    });

    async function enqueueAll(queue: JobQueue, inputs: EnqueueInput[]) {
      const jobs = [];
      for (const input of inputs) jobs.push(await queue.enqueue(input));
      return jobs;
    }

    it('enqueues, leases, completes; an empty queue leases nothing', async () => {
      const queue = await open();
      const job = await queue.enqueue({ type: 'test.echo', payload: { text: 'hi', n: [1, 2] }, resources: { cpu: 1, memoryMb: 256, gpus: 0 }, timeoutMs: 5_000 });
      expect(job).toMatchObject({ type: 'test.echo', state: 'queued', priority: 0, payload: { text: 'hi', n: [1, 2] }, failedAttempts: 0, timeoutMs: 5_000, maxAttempts: 3 });
      expect(await queue.get(job.id)).toMatchObject({ id: job.id, state: 'queued', resources: { cpu: 1, memoryMb: 256, gpus: 0 } });

      const leased = await queue.lease('worker-a', { resources: CPU });
      expect(leased).not.toBeNull();
      expect(leased!.job).toMatchObject({ id: job.id, state: 'running', payload: { text: 'hi', n: [1, 2] } });
      expect(leased!.attempt).toBe(1);
      expect(Date.parse(leased!.leaseExpiresAt)).toBeGreaterThan(Date.now());
      expect((await queue.get(job.id)).state).toBe('running');
      expect(await queue.lease('worker-b', { resources: CPU })).toBeNull();

      expect(await queue.extendLease(job.id, leased!.leaseToken)).toMatchObject({ cancelRequested: false });
      const done = await queue.complete(job.id, leased!.leaseToken, { answer: 42 });
      expect(done).toMatchObject({ id: job.id, state: 'succeeded', result: { answer: 42 } });
      expect(await queue.get(job.id)).toMatchObject({ state: 'succeeded', result: { answer: 42 } });
      expect((await queue.get(job.id)).finishedAt).not.toBeNull();
      expect(await codeOf(queue.complete(job.id, leased!.leaseToken, null))).toBe('job_lease_lost');
    });

    it('refuses invalid jobs and unknown ids with stable codes', async () => {
      const queue = await open();
      expect(await codeOf(queue.enqueue({ type: 'Not A Type' }))).toBe('job_invalid');
      expect(await codeOf(queue.enqueue({ type: 'test.x', priority: -1 }))).toBe('job_invalid');
      expect(await codeOf(queue.enqueue({ type: 'test.x', resources: { gpus: 0.5 } }))).toBe('job_invalid');
      expect(await codeOf(queue.get('job_nope'))).toBe('job_not_found');
      expect(await codeOf(queue.cancel('job_nope'))).toBe('job_not_found');
      expect(await codeOf(queue.complete('job_nope', 'token', null))).toBe('job_not_found');
      expect(await codeOf(queue.list({ state: 'bogus' as never }))).toBe('job_filter_invalid');
    });

    it('leases by priority, then oldest first, across job types and shapes too', async () => {
      const queue = await open();
      const [low, high, mid, high2, otherType, otherShape] = await enqueueAll(queue, [
        { type: 'test.p', priority: 1 },
        { type: 'test.p', priority: 900 },
        { type: 'test.p', priority: 50 },
        { type: 'test.p', priority: 900 },
        { type: 'test.q', priority: 950 },
        { type: 'test.p', priority: 20, resources: { cpu: 2 } },
      ]);
      const order: string[] = [];
      for (let leased = await queue.lease('w', { resources: CPU }); leased; leased = await queue.lease('w', { resources: CPU })) {
        order.push(leased.job.id);
        await queue.complete(leased.job.id, leased.leaseToken, null);
      }
      expect(order).toEqual([otherType!.id, high!.id, high2!.id, mid!.id, otherShape!.id, low!.id]);
    });

    it('returns the existing job for a repeated idempotency key, in any state', async () => {
      const queue = await open();
      const first = await queue.enqueue({ type: 'test.idem', payload: { v: 1 }, idempotencyKey: 'upload-123' });
      const again = await queue.enqueue({ type: 'test.idem', payload: { v: 2 }, idempotencyKey: 'upload-123' });
      expect(again.id).toBe(first.id);
      expect(again.payload).toEqual({ v: 1 });
      const concurrent = await Promise.all([1, 2, 3, 4].map(() => queue.enqueue({ type: 'test.idem', idempotencyKey: 'upload-456' })));
      expect(new Set(concurrent.map((job) => job.id)).size).toBe(1);
      expect((await queue.list({ type: 'test.idem' })).items).toHaveLength(2);

      const leased = await queue.lease('w', { resources: CPU });
      await queue.complete(leased!.job.id, leased!.leaseToken, 'ok');
      const afterwards = await queue.enqueue({ type: 'test.idem', idempotencyKey: 'upload-123' });
      expect(afterwards.id).toBe(first.id);
      expect(afterwards.state).toBe('succeeded');
    });

    it('retries a failed attempt after its backoff, then fails for good with the error and stack', async () => {
      const queue = await open();
      const job = await queue.enqueue({ type: 'test.flaky', maxAttempts: 2, backoff: { baseMs: 1_500, jitter: 0 } });
      const first = await queue.lease('w', { resources: CPU });
      expect(first!.attempt).toBe(1);
      const error = new Error('disk full');
      const failedOnce = await queue.fail(job.id, first!.leaseToken, { message: error.message, stack: error.stack });
      expect(failedOnce).toMatchObject({ state: 'retrying', failedAttempts: 1, error: { message: 'disk full' } });
      expect(Date.parse(failedOnce.runAfter!)).toBeGreaterThan(Date.now() + 500);
      expect((await queue.get(job.id)).state).toBe('retrying');
      expect(await queue.lease('w', { resources: CPU })).toBeNull(); // still backing off

      const second = await eventually(() => queue.lease('w', { resources: CPU }));
      expect(second.job.id).toBe(job.id);
      expect(second.attempt).toBe(2);
      const final = await queue.fail(job.id, second.leaseToken, { message: 'disk still full', stack: 'Error: disk still full\n    at handler (train.ts:1:1)' });
      expect(final).toMatchObject({ state: 'failed', failedAttempts: 2, error: { message: 'disk still full', stack: 'Error: disk still full\n    at handler (train.ts:1:1)' } });
      expect(await queue.get(job.id)).toMatchObject({ state: 'failed', error: { message: 'disk still full' } });
      expect(await queue.lease('w', { resources: CPU })).toBeNull();
    });

    it('fails at once when the error is not retryable', async () => {
      const queue = await open();
      const job = await queue.enqueue({ type: 'test.bad', maxAttempts: 5 });
      const leased = await queue.lease('w', { resources: CPU });
      const failed = await queue.fail(job.id, leased!.leaseToken, { message: 'payload does not match the schema', code: 'job_invalid' }, { retry: false });
      expect(failed).toMatchObject({ state: 'failed', failedAttempts: 1, error: { message: 'payload does not match the schema' } });
    });

    it('re-queues a job whose lease lapsed; the stale token can no longer heartbeat, complete or fail it', async () => {
      const queue = await open(1_000);
      const job = await queue.enqueue({ type: 'test.slow' });
      const lost = await queue.lease('worker-dies', { resources: CPU });
      expect(lost).not.toBeNull();

      const retaken = await eventually(() => queue.lease('worker-b', { resources: CPU }));
      expect(retaken.job.id).toBe(job.id);
      expect(retaken.leaseToken).not.toBe(lost!.leaseToken);
      expect(retaken.attempt).toBe(1); // a lapse is not a failed attempt
      expect(await codeOf(queue.complete(job.id, lost!.leaseToken, { from: 'stale' }))).toBe('job_lease_lost');
      expect(await codeOf(queue.fail(job.id, lost!.leaseToken, { message: 'stale' }))).toBe('job_lease_lost');
      expect(await codeOf(queue.extendLease(job.id, lost!.leaseToken))).toBe('job_lease_lost');

      await queue.extendLease(job.id, retaken.leaseToken);
      const done = await queue.complete(job.id, retaken.leaseToken, { from: 'b' });
      expect(done).toMatchObject({ state: 'succeeded', result: { from: 'b' }, leaseLapses: 1 });
    });

    it('fails a job whose lease lapses more often than maxLeaseLapses (a crash loop)', async () => {
      const queue = await open(1_000, 1);
      const job = await queue.enqueue({ type: 'test.crashy', maxAttempts: 5 });
      await queue.lease('dies-1', { resources: CPU });
      const second = await eventually(() => queue.lease('dies-2', { resources: CPU })); // first lapse: back in the queue
      expect(second.job.id).toBe(job.id);
      const failed = await eventually(async () => {
        await queue.lease('w', { resources: CPU }); // drives the embedded queue's sweep; nothing to lease
        const now = await queue.get(job.id);
        return now.state === 'failed' ? now : null;
      });
      expect(failed.leaseLapses).toBe(2);
      expect(failed.error?.message).toMatch(/lapsed|stalled/);
    });

    it('ends a cancelled job whose worker vanished as cancelled, not re-queued', async () => {
      const queue = await open(1_000);
      const job = await queue.enqueue({ type: 'test.gone' });
      await queue.lease('dies', { resources: CPU });
      await queue.cancel(job.id);
      const ended = await eventually(async () => {
        const leased = await queue.lease('w', { resources: CPU });
        expect(leased).toBeNull();
        const now = await queue.get(job.id);
        return now.state === 'cancelled' ? now : null;
      });
      expect(ended.state).toBe('cancelled');
    });

    it('keeps a lease alive while it is renewed by heartbeats', async () => {
      const queue = await open(1_000);
      const job = await queue.enqueue({ type: 'test.hb' });
      const leased = await queue.lease('w', { resources: CPU });
      for (let i = 0; i < 6; i++) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        await queue.extendLease(job.id, leased!.leaseToken);
        expect(await queue.lease('other', { resources: CPU })).toBeNull();
      }
      expect(await queue.complete(job.id, leased!.leaseToken, null)).toMatchObject({ state: 'succeeded', leaseLapses: 0 });
    });

    it('cancels a queued job at once, and a running one through its worker', async () => {
      const queue = await open();
      const waiting = await queue.enqueue({ type: 'test.c', priority: 10 });
      expect(await queue.cancel(waiting.id)).toMatchObject({ state: 'cancelled' });
      expect((await queue.get(waiting.id)).state).toBe('cancelled');

      const running = await queue.enqueue({ type: 'test.c' });
      const leased = await queue.lease('w', { resources: CPU });
      expect(leased!.job.id).toBe(running.id); // the cancelled one is never leased
      expect(await queue.cancel(running.id)).toMatchObject({ state: 'running', cancelRequested: true });
      expect(await queue.extendLease(running.id, leased!.leaseToken)).toMatchObject({ cancelRequested: true });
      const ended = await queue.fail(running.id, leased!.leaseToken, { message: 'aborted', code: 'job_cancelled' });
      expect(ended.state).toBe('cancelled');
      expect((await queue.get(running.id)).state).toBe('cancelled');
      expect(await queue.lease('w', { resources: CPU })).toBeNull();

      const finished = await queue.enqueue({ type: 'test.c' });
      const l = await queue.lease('w', { resources: CPU });
      await queue.complete(finished.id, l!.leaseToken, 1);
      expect(await queue.cancel(finished.id)).toMatchObject({ state: 'succeeded' });
    });

    it('retries failed and cancelled jobs from scratch, and nothing else', async () => {
      const queue = await open();
      const failing = await queue.enqueue({ type: 'test.r', maxAttempts: 1, priority: 10 });
      const first = await queue.lease('w', { resources: CPU });
      await queue.fail(failing.id, first!.leaseToken, { message: 'boom' });
      const again = await queue.retry(failing.id);
      expect(again).toMatchObject({ id: failing.id, state: 'queued', failedAttempts: 0 });
      const second = await queue.lease('w', { resources: CPU });
      expect(second).toMatchObject({ job: { id: failing.id }, attempt: 1 });
      expect(await codeOf(queue.retry(failing.id))).toBe('job_not_retryable'); // running
      await queue.complete(failing.id, second!.leaseToken, 'ok');
      expect(await codeOf(queue.retry(failing.id))).toBe('job_not_retryable'); // succeeded

      const cancelled = await queue.enqueue({ type: 'test.r' });
      await queue.cancel(cancelled.id);
      expect(await queue.retry(cancelled.id)).toMatchObject({ state: 'queued', cancelRequested: false });
      const third = await queue.lease('w', { resources: CPU });
      expect(third!.job.id).toBe(cancelled.id);
      await queue.complete(cancelled.id, third!.leaseToken, null);
      expect(await codeOf(queue.retry('job_nope'))).toBe('job_not_found');
    });

    it('leases only jobs that fit the worker: resources and types', async () => {
      const queue = await open();
      const gpuJob = await queue.enqueue({ type: 'train.run', priority: 500, resources: { cpu: 2, memoryMb: 16_384, gpus: 2 } });
      const cpuJob = await queue.enqueue({ type: 'train.run', priority: 1, resources: { cpu: 2, memoryMb: 1_024, gpus: 0 } });
      const other = await queue.enqueue({ type: 'dataset.profile', priority: 1_000 });

      const onCpu = await queue.lease('cpu-worker', { types: ['train.run'], resources: CPU });
      expect(onCpu!.job.id).toBe(cpuJob.id); // the GPU job is more urgent but does not fit
      expect(await queue.lease('cpu-worker', { types: ['train.run'], resources: CPU })).toBeNull();
      expect(await queue.lease('tiny', { resources: { cpu: 0.5, memoryMb: 64, gpus: 0 } })).toBeNull();
      const onGpu = await queue.lease('gpu-worker', { types: ['train.run'], resources: GPU });
      expect(onGpu!.job.id).toBe(gpuJob.id);
      expect(await queue.lease('x', { types: [], resources: GPU })).toBeNull();
      const any = await queue.lease('any-worker', { resources: CPU });
      expect(any!.job.id).toBe(other.id);
    });

    it('never leases a job twice: 4 concurrent lessees on 2 connections × 200 jobs → each completed exactly once', async () => {
      const queue = await open();
      const other = await open(); // a second process, as far as the store can tell
      const total = 200;
      const ids = new Set((await enqueueAll(queue, Array.from({ length: total }, (_, i) => ({ type: 'test.many', payload: { i } })))).map((j) => j.id));
      const completions: string[] = [];
      const lessee = async (name: string, on: JobQueue) => {
        let idle = 0;
        while (completions.length < total && idle < 20) {
          const leased = await on.lease(name, { resources: CPU });
          if (!leased) {
            idle++;
            await new Promise((resolve) => setTimeout(resolve, 20));
            continue;
          }
          idle = 0;
          await on.complete(leased.job.id, leased.leaseToken, { by: name });
          completions.push(leased.job.id);
        }
      };
      await Promise.all([lessee('l1', queue), lessee('l2', other), lessee('l3', queue), lessee('l4', other)]);
      expect(completions).toHaveLength(total);
      expect(new Set(completions)).toEqual(ids);
      const succeeded = await queue.list({ state: 'succeeded', limit: 500 });
      expect(succeeded.items).toHaveLength(total);
    });

    it('lists newest first, filtered by state and type, in pages that cover every job once', async () => {
      const queue = await open();
      const a = await enqueueAll(queue, Array.from({ length: 5 }, () => ({ type: 'test.a' })));
      await enqueueAll(queue, [{ type: 'test.b' }, { type: 'test.b' }]);
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await queue.list({ type: 'test.a', limit: 2, ...(cursor ? { cursor } : {}) });
        expect(page.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.items.map((job) => job.id));
        cursor = page.next_cursor ?? undefined;
      } while (cursor);
      expect(seen).toEqual(a.map((job) => job.id).reverse());
      const leased = await queue.lease('w', { types: ['test.b'], resources: CPU });
      expect((await queue.list({ state: 'running' })).items.map((job) => job.id)).toEqual([leased!.job.id]);
      expect((await queue.list({ state: ['queued'], type: 'test.b' })).items).toHaveLength(1);
      expect((await queue.list()).items).toHaveLength(7);
    });

    it('is durable: a queue reopened on the same store still has its jobs', async () => {
      const first = await open();
      const jobs = await enqueueAll(first, [{ type: 'test.d', priority: 5 }, { type: 'test.d' }, { type: 'test.d' }]);
      await first.close();
      opened.splice(opened.indexOf(first), 1);
      const second = await open();
      expect((await second.list({ state: 'queued' })).items.map((job) => job.id).sort()).toEqual(jobs.map((job) => job.id).sort());
      const leased: LeasedJob | null = await second.lease('w', { resources: CPU });
      expect(leased!.job.id).toBe(jobs[0]!.id);
      await second.ping();
    });
  });
}
