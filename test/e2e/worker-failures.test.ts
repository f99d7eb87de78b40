/**
 * A real worker, a real SQLite queue and real child processes: handlers that throw, exit, run out of
 * memory, hang, get cancelled or time out. The worker reports each clearly and lives on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkerHarness, type WorkerHarness } from '../support/worker-harness.js';

describe('worker: failing handlers', () => {
  let h: WorkerHarness;
  beforeAll(async () => {
    h = await createWorkerHarness({ concurrency: 3 });
  });
  afterAll(() => h.close());

  const stateEvents = async (jobId: string) => (await h.eventsOf(jobId)).filter((e) => e.kind === 'state');

  it('retries a handler that throws with backoff, then fails it with its error and stack in the events', async () => {
    const job = await h.queue.enqueue({ type: 'test.misbehave', payload: { mode: 'throw' }, maxAttempts: 2, backoff: { baseMs: 300, jitter: 0 } });
    const done = await h.waitFor(job.id, ['failed', 'succeeded']);
    expect(done.failedAttempts).toBe(2);
    expect(done.error).toMatchObject({ message: 'the handler broke on purpose', code: 'fixture_broke' });
    await expect.poll(async () => (await stateEvents(job.id)).length).toBe(4);
    const states = await stateEvents(job.id);
    expect(states.map((e) => e.kind === 'state' && `${e.state}:${e.attempt}`)).toEqual(['running:1', 'retrying:1', 'running:2', 'failed:2']);
    const failed = states[3]!;
    expect(failed.kind === 'state' && failed.error?.stack).toContain('misbehave.ts');
    expect(failed.kind === 'state' && failed.error?.message).toBe('the handler broke on purpose');
  });

  it('fails a handler that calls process.exit(3) with that reason; the worker lives on', async () => {
    const job = await h.queue.enqueue({ type: 'test.misbehave', payload: { mode: 'exit' }, maxAttempts: 1 });
    const done = await h.waitFor(job.id, ['failed', 'succeeded']);
    expect(done.error).toMatchObject({ code: 'job_crashed' });
    expect(done.error!.message).toContain('exited with code 3');
    const next = await h.queue.enqueue({ type: 'test.echo', payload: { text: 'still here' } });
    expect((await h.waitFor(next.id, ['succeeded', 'failed'])).state).toBe('succeeded');
  });

  it('fails a handler that exceeds its memory limit: "ran out of memory (limit N MB)"', async () => {
    const job = await h.queue.enqueue({ type: 'test.misbehave', payload: { mode: 'oom' }, resources: { memoryMb: 64 }, maxAttempts: 3 });
    const done = await h.waitFor(job.id, ['failed', 'succeeded'], 60_000);
    expect(done.error).toMatchObject({ code: 'job_out_of_memory' });
    expect(done.error!.message).toContain('ran out of memory (limit 64 MB)');
    // Not retried: the same limit would only run out again.
    expect(done.failedAttempts).toBe(1);
  });

  it('cancels a running job cooperatively', async () => {
    const job = await h.queue.enqueue({ type: 'test.misbehave', payload: { mode: 'cooperate' } });
    await h.waitFor(job.id, ['running']);
    await expect.poll(async () => (await h.eventsOf(job.id)).some((e) => e.kind === 'log' && e.message === 'mode cooperate'), { timeout: 20_000 }).toBe(true);
    await h.queue.cancel(job.id);
    const done = await h.waitFor(job.id, ['cancelled', 'failed', 'succeeded']);
    expect(done.state).toBe('cancelled');
    await expect.poll(async () => (await h.eventsOf(job.id)).some((e) => e.kind === 'log' && e.message === 'stopping: job_cancelled')).toBe(true);
    await expect.poll(async () => (await stateEvents(job.id)).at(-1)).toMatchObject({ state: 'cancelled' });
  });

  it('hard-kills a handler that ignores the cancel after the grace period', async () => {
    const job = await h.queue.enqueue({ type: 'test.misbehave', payload: { mode: 'hang' } });
    await h.waitFor(job.id, ['running']);
    await h.queue.cancel(job.id);
    const done = await h.waitFor(job.id, ['cancelled', 'failed', 'succeeded']);
    expect(done.state).toBe('cancelled');
  });

  it('times out a handler that runs past timeoutMs, killing it when it ignores the abort', async () => {
    const job = await h.queue.enqueue({ type: 'test.misbehave', payload: { mode: 'hang' }, timeoutMs: 1_500, maxAttempts: 1 });
    const done = await h.waitFor(job.id, ['failed', 'succeeded']);
    expect(done.error).toMatchObject({ code: 'job_timeout' });
    expect(done.error!.message).toMatch(/timed out after 1500 ms \(the handler ignored the abort and was killed\)/);
  });

  it('kills a job whose lease was lost (taken over elsewhere) and reports nothing', async () => {
    const job = await h.queue.enqueue({ type: 'test.misbehave', payload: { mode: 'hang' } });
    await h.waitFor(job.id, ['running']);
    await expect.poll(async () => (await h.eventsOf(job.id)).some((e) => e.kind === 'log' && e.message === 'mode hang'), { timeout: 20_000 }).toBe(true);
    // As if the lease had lapsed and another worker had taken the job: the token this worker holds is stale.
    await h.database.db.updateTable('jobs').set({ lease_token: 'taken-by-another-worker', worker_id: 'another' }).where('id', '=', job.id).execute();
    await expect.poll(() => h.worker.info().running.length, { timeout: 20_000 }).toBe(0);
    const after = await h.queue.get(job.id);
    expect(after).toMatchObject({ state: 'running', workerId: 'another', failedAttempts: 0 });
    const states = await stateEvents(job.id);
    expect(states.map((e) => e.kind === 'state' && e.state)).toEqual(['running']);
  });
});
