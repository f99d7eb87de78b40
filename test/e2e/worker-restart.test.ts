/**
 * `crucible start` runs an in-process worker pool. Restarted (SIGTERM, then start again) with 100
 * jobs queued, every job runs to success and publishes its output once. A job cut short by the
 * shutdown goes back to the queue when its lease lapses and resumes from its checkpoint.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCliServer, stopCliServer } from '../support/cli.js';
import { createWorkerSite, eventually, type WorkerSite } from '../support/worker-process.js';

describe('crucible start restarted with 100 queued jobs', () => {
  let site: WorkerSite;
  beforeAll(async () => {
    site = await createWorkerSite({ leaseMs: 2_000, worker: { concurrency: 4 } });
  });
  afterAll(() => site.close());

  const published = () => readdirSync(site.outDir).filter((name) => name.endsWith('.published')).length;

  it('runs all 100, none twice', async () => {
    const jobs = [];
    for (let i = 0; i < 100; i++) {
      jobs.push(await site.queue.enqueue({ type: 'test.checkpointed', payload: { steps: 3, stepMs: 30, outDir: site.outDir } }));
    }
    const t0 = Date.now();
    const first = await startCliServer({ cwd: site.dir });
    await eventually(() => (published() >= 15 ? true : undefined), 120_000, '15 jobs done by the first server');
    const started = Date.now();
    expect(await stopCliServer(first, 30_000)).toBe(0);
    const stopMs = Date.now() - started;
    const doneBefore = published();
    expect(doneBefore).toBeLessThan(100);

    const second = await startCliServer({ cwd: site.dir });
    try {
      await eventually(async () => {
        const page = await site.queue.list({ state: 'succeeded', limit: 200 });
        return page.items.length === 100 ? true : undefined;
      }, 180_000, 'all 100 jobs to succeed');
    } finally {
      expect(await stopCliServer(second, 30_000)).toBe(0);
    }

    let resumed = 0;
    for (const job of jobs) {
      const lines = readFileSync(path.join(site.outDir, `${job.id}.published`), 'utf8').trim().split('\n');
      expect(lines, `${job.id} published`).toHaveLength(1);
      expect(existsSync(path.join(site.outDir, `${job.id}.out`))).toBe(true);
      const states = (await site.events.list(job.id)).filter((e) => e.kind === 'state' && e.state === 'succeeded');
      expect(states, `${job.id} succeeded events`).toHaveLength(1);
      if (readFileSync(path.join(site.outDir, `${job.id}.attempts`), 'utf8').trim().split('\n').length > 1) resumed++;
    }
    console.log(`100 jobs in ${Date.now() - t0} ms; first server: ${doneBefore} jobs done, stopped in ${stopMs} ms; ${resumed} jobs cut short by the shutdown resumed on the second`);
  }, 300_000);
});
