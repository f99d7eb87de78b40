/**
 * SIGTERM to `crucible worker`: it stops leasing, aborts the running handler so it can checkpoint,
 * and exits 0 well within its grace period. The job returns to the queue when its lease lapses and
 * another worker resumes it from the checkpoint.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkerSite, eventually, type WorkerSite } from '../support/worker-process.js';

describe('crucible worker on SIGTERM', () => {
  let site: WorkerSite;
  beforeAll(async () => {
    site = await createWorkerSite({ leaseMs: 2_000, worker: { shutdownGraceMs: 10_000 } });
  });
  afterAll(() => site.close());

  it('lets the running job checkpoint, exits 0, and the job resumes on the next worker', async () => {
    const first = site.spawnCli(['worker', '--concurrency', '1']);
    const job = await site.queue.enqueue({ type: 'test.checkpointed', payload: { steps: 30, stepMs: 200, outDir: site.outDir } });
    const checkpoint = path.join(site.config.home, 'work', job.id, 'checkpoint.json');
    await eventually(() => {
      try {
        return (JSON.parse(readFileSync(checkpoint, 'utf8')) as { step: number }).step >= 2 ? true : undefined;
      } catch {
        return undefined;
      }
    }, 60_000, 'two checkpointed steps');

    const sent = Date.now();
    first.process.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    // The handler stops at its next step (200 ms): far sooner than the 10 s grace.
    expect(Date.now() - sent).toBeLessThan(8_000);
    const stoppedAt = (JSON.parse(readFileSync(checkpoint, 'utf8')) as { step: number }).step;
    expect((await site.queue.get(job.id)).state).toBe('running');
    const logs = (await site.events.list(job.id)).filter((e) => e.kind === 'log').map((e) => e.kind === 'log' && e.message);
    expect(logs.some((m) => typeof m === 'string' && m.includes('worker shut down'))).toBe(true);

    site.spawnCli(['worker', '--concurrency', '1']);
    const done = await eventually(async () => {
      const current = await site.queue.get(job.id);
      return current.state === 'succeeded' || current.state === 'failed' ? current : undefined;
    }, 90_000, 'the job to finish on the second worker');
    expect(done.state).toBe('succeeded');
    expect((done.result as { resumedFrom: number }).resumedFrom).toBe(stoppedAt);
    expect(done.leaseLapses).toBe(1);
    expect(readFileSync(path.join(site.outDir, `${job.id}.published`), 'utf8').trim().split('\n')).toHaveLength(1);
  }, 180_000);
});
