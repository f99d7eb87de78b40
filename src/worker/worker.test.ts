import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkerHarness, type WorkerHarness } from '../../test/support/worker-harness.js';

describe('Worker', () => {
  let h: WorkerHarness;
  beforeAll(async () => {
    h = await createWorkerHarness();
  });
  afterAll(() => h.close());

  it('runs a handler in a child process and records its result and events in order', async () => {
    // What is stored when the worker marks the job done: the handler's own events must be there
    // already, so a client that sees the job ended (crucible … --wait) has every line it logged.
    const complete = h.queue.complete.bind(h.queue);
    let atCompletion: Awaited<ReturnType<typeof h.eventsOf>> = [];
    h.queue.complete = async (id, ...rest) => ((atCompletion = await h.eventsOf(id)), complete(id, ...rest));
    const job = await h.queue.enqueue({ type: 'test.echo', payload: { text: 'hi' } });
    const done = await h.waitFor(job.id, ['succeeded', 'failed']);
    h.queue.complete = complete;
    expect(done.state).toBe('succeeded');
    expect(done.result).toEqual({ text: 'hi', attempt: 1 });
    expect(atCompletion).toContainEqual({ kind: 'log', level: 'info', message: 'echo hi' });
    expect(atCompletion).toContainEqual({ kind: 'progress', done: 1, total: 1, message: 'done' });
    await expect.poll(async () => (await h.eventsOf(job.id)).at(-1)).toEqual({ kind: 'state', state: 'succeeded', attempt: 1 });
    const events = await h.eventsOf(job.id);
    expect(events[0]).toEqual({ kind: 'state', state: 'running', attempt: 1 });
    expect(events).toContainEqual({ kind: 'log', level: 'info', message: 'echo hi' });
    expect(events).toContainEqual({ kind: 'log', level: 'info', message: 'plain stdout line', stream: 'stdout' });
    expect(events).toContainEqual({ kind: 'metric', name: 'loss', value: 0.5, step: 1 });
    expect(events).toContainEqual({ kind: 'progress', done: 1, total: 1, message: 'done' });
  });

  it('fails a job whose payload does not match the schema, without retrying', async () => {
    const job = await h.queue.enqueue({ type: 'test.echo', payload: { text: 42 }, maxAttempts: 3 });
    const done = await h.waitFor(job.id, ['failed', 'succeeded']);
    expect(done.failedAttempts).toBe(1);
    expect(done.error).toMatchObject({ code: 'job_payload_invalid' });
    expect(done.error!.message).toContain('text');
  });
});

describe('Worker with GPUs', () => {
  let h: WorkerHarness;
  beforeAll(async () => {
    h = await createWorkerHarness({ resources: { cpu: 4, memoryMb: 4_096, gpus: 2 }, concurrency: 3 });
  });
  afterAll(() => h.close());

  it('gives each job its own GPUs through CUDA_VISIBLE_DEVICES, and none to a job that asked for none', async () => {
    const script = "console.log('gpus=' + process.env.CUDA_VISIBLE_DEVICES); setTimeout(() => {}, 1500)";
    const command = { command: [process.execPath, '-e', script] };
    const jobs = [
      await h.queue.enqueue({ type: 'command', payload: command, resources: { gpus: 1 } }),
      await h.queue.enqueue({ type: 'command', payload: command, resources: { gpus: 1 } }),
      await h.queue.enqueue({ type: 'command', payload: command, resources: { gpus: 0 } }),
    ];
    const seen: string[] = [];
    for (const job of jobs) {
      expect((await h.waitFor(job.id, ['succeeded', 'failed'])).state).toBe('succeeded');
      await expect.poll(async () => (await h.eventsOf(job.id)).at(-1)).toMatchObject({ state: 'succeeded' });
      const line = (await h.eventsOf(job.id)).find((e) => e.kind === 'log' && e.message.startsWith('gpus='));
      seen.push(line?.kind === 'log' ? line.message : 'none');
    }
    expect(seen.slice(0, 2).sort()).toEqual(['gpus=0', 'gpus=1']);
    expect(seen[2]).toBe('gpus=');
  });
});
