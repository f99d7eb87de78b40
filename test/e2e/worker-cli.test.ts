/** `crucible worker` as a user meets it: help with examples, usage errors, and a job run end to end. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { createWorkerSite, eventually, type WorkerSite } from '../support/worker-process.js';

describe('crucible worker', () => {
  let site: WorkerSite;
  beforeAll(async () => {
    site = await createWorkerSite();
  });
  afterAll(() => site.close());

  it('explains itself with examples', () => {
    const help = runCli(['worker', '--help'], { cwd: site.dir });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--concurrency <n>');
    expect(help.stdout).toContain('--queue <name>');
    expect(help.stdout).toContain('Examples:');
  });

  it('refuses a bad --concurrency as a usage error', () => {
    const bad = runCli(['worker', '--concurrency', '0'], { cwd: site.dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--concurrency must be a positive integer');
  });

  it('runs a noop job and stops on SIGTERM with exit code 0', async () => {
    const worker = site.spawnCli(['worker', '--concurrency', '1']);
    const job = await site.queue.enqueue({ type: 'noop', payload: { sleepMs: 10 } });
    const done = await eventually(async () => {
      const current = await site.queue.get(job.id);
      return current.state === 'succeeded' || current.state === 'failed' ? current : undefined;
    }, 60_000, 'the noop job');
    expect(done.state).toBe('succeeded');
    expect(worker.stderr()).toMatch(/Worker \S+ is running \(embedded queue\): [\d.]+ cores, \d+ MB, \d+ GPUs, 1 jobs at once/);
    worker.process.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
  });
});
