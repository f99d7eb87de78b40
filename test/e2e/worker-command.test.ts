/** `command` jobs through a real worker: output lines as logs, CRUCIBLE_METRIC lines as metrics, exit codes, abort. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkerHarness, type WorkerHarness } from '../support/worker-harness.js';

const node = (script: string) => [process.execPath, '-e', script];

describe('command jobs', () => {
  let h: WorkerHarness;
  beforeAll(async () => {
    h = await createWorkerHarness();
  });
  afterAll(() => h.close());

  it('captures stdout/stderr line by line as logs and CRUCIBLE_METRIC lines as metric points', async () => {
    const script = `
      console.log('hello ' + process.env.GREETING);
      console.error('a warning');
      console.log('CRUCIBLE_METRIC {"name":"loss","value":1.5,"step":2}');
      console.log('CRUCIBLE_METRIC not json');
      console.log(process.cwd());`;
    const job = await h.queue.enqueue({ type: 'command', payload: { command: node(script), env: { GREETING: 'world' }, cwd: h.home } });
    const done = await h.waitFor(job.id, ['succeeded', 'failed']);
    expect(done.state).toBe('succeeded');
    expect(done.result).toEqual({ exitCode: 0 });
    await expect.poll(async () => (await h.eventsOf(job.id)).at(-1)).toMatchObject({ kind: 'state', state: 'succeeded' });
    const events = await h.eventsOf(job.id);
    expect(events).toContainEqual({ kind: 'log', level: 'info', message: 'hello world', stream: 'stdout' });
    expect(events).toContainEqual({ kind: 'log', level: 'warn', message: 'a warning', stream: 'stderr' });
    expect(events).toContainEqual({ kind: 'metric', name: 'loss', value: 1.5, step: 2 });
    expect(events).toContainEqual({ kind: 'log', level: 'info', message: 'CRUCIBLE_METRIC not json', stream: 'stdout' });
    expect(events).toContainEqual({ kind: 'log', level: 'info', message: h.home, stream: 'stdout' });
  });

  it("keeps Crucible's own settings (database URL, S3 secret) out of the command's environment", async () => {
    process.env.CRUCIBLE_S3_SECRET_ACCESS_KEY = 'do-not-leak';
    try {
      const script = 'console.log(JSON.stringify([process.env.CRUCIBLE_S3_SECRET_ACCESS_KEY ?? null, process.env.CRUCIBLE_JOB_ID, !!process.env.PATH]))';
      const job = await h.queue.enqueue({ type: 'command', payload: { command: node(script) } });
      expect((await h.waitFor(job.id, ['succeeded', 'failed'])).state).toBe('succeeded');
      await expect.poll(async () => (await h.eventsOf(job.id)).at(-1)).toMatchObject({ state: 'succeeded' });
      expect(await h.eventsOf(job.id)).toContainEqual({ kind: 'log', level: 'info', message: JSON.stringify([null, job.id, true]), stream: 'stdout' });
    } finally {
      delete process.env.CRUCIBLE_S3_SECRET_ACCESS_KEY;
    }
  });

  it('fails on a non-zero exit with the code and the last stderr lines', async () => {
    const job = await h.queue.enqueue({ type: 'command', payload: { command: node("console.error('disk full'); process.exit(4)") }, maxAttempts: 1 });
    const done = await h.waitFor(job.id, ['succeeded', 'failed']);
    expect(done.error).toMatchObject({ code: 'command_failed' });
    expect(done.error!.message).toContain('exited with code 4');
    expect(done.error!.message).toContain('disk full');
  });

  it('fails at once, without retrying, when the program does not exist', async () => {
    const job = await h.queue.enqueue({ type: 'command', payload: { command: ['definitely-not-a-program-xyz'] }, maxAttempts: 3 });
    const done = await h.waitFor(job.id, ['succeeded', 'failed']);
    expect(done.failedAttempts).toBe(1);
    expect(done.error).toMatchObject({ code: 'command_not_started' });
  });

  it('cancels a running command (SIGTERM to the program)', async () => {
    const job = await h.queue.enqueue({ type: 'command', payload: { command: node("console.log('started'); setInterval(() => {}, 1000)") } });
    await expect.poll(async () => (await h.eventsOf(job.id)).some((e) => e.kind === 'log' && e.message === 'started'), { timeout: 20_000 }).toBe(true);
    await h.queue.cancel(job.id);
    expect((await h.waitFor(job.id, ['cancelled', 'failed', 'succeeded'])).state).toBe('cancelled');
  });

  it('hard-kills a command that ignores SIGTERM, with its whole process group', async () => {
    const script = "process.on('SIGTERM', () => console.log('ignoring SIGTERM')); console.log('pid ' + process.pid); setInterval(() => {}, 1000)";
    const job = await h.queue.enqueue({ type: 'command', payload: { command: node(script) } });
    let pid = 0;
    await expect
      .poll(async () => {
        const line = (await h.eventsOf(job.id)).find((e) => e.kind === 'log' && e.message.startsWith('pid '));
        pid = line?.kind === 'log' ? Number(line.message.slice(4)) : 0;
        return pid;
      }, { timeout: 20_000 })
      .toBeGreaterThan(0);
    await h.queue.cancel(job.id);
    expect((await h.waitFor(job.id, ['cancelled', 'failed', 'succeeded'])).state).toBe('cancelled');
    await expect
      .poll(() => {
        try {
          process.kill(pid, 0);
          return 'alive';
        } catch {
          return 'gone';
        }
      }, { timeout: 10_000 })
      .toBe('gone');
  });
});
