/**
 * Two `crucible worker` processes on one SQLite queue; the one running a resumable job is killed
 * with SIGKILL mid-job. The other re-leases it within the lease timeout, resumes from the checkpoint,
 * and the job's output is published exactly once.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkerSite, eventually, type WorkerProcess, type WorkerSite } from '../support/worker-process.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('worker killed with SIGKILL mid-job', () => {
  let site: WorkerSite;
  beforeAll(async () => {
    site = await createWorkerSite({ leaseMs: 2_000 });
  });
  afterAll(() => site.close());

  it('the job is re-leased by another worker within the lease timeout and finishes exactly once', async () => {
    const workers = new Map<number, WorkerProcess>();
    for (let i = 0; i < 2; i++) {
      const worker = site.spawnCli(['worker', '--concurrency', '1']);
      workers.set(worker.process.pid!, worker);
    }
    for (const worker of workers.values()) await eventually(() => (/is running/.test(worker.stderr()) ? true : undefined), 60_000, 'worker start');

    const job = await site.queue.enqueue({ type: 'test.checkpointed', payload: { steps: 12, stepMs: 250, outDir: site.outDir } });
    const checkpoint = path.join(site.config.home, 'work', job.id, 'checkpoint.json');
    const running = await eventually(async () => {
      const current = await site.queue.get(job.id);
      return current.state === 'running' && existsSync(checkpoint) && (JSON.parse(readFileSync(checkpoint, 'utf8')) as { step: number }).step >= 3 ? current : undefined;
    }, 60_000, 'three checkpointed steps');

    // Worker ids are "<host>-<pid>-<random>": find the process that holds the lease.
    const victimPid = Number(running.workerId!.split('-').at(-2));
    const victim = workers.get(victimPid)!;
    expect(victim).toBeDefined();
    const [firstAttempt] = readFileSync(path.join(site.outDir, `${job.id}.attempts`), 'utf8').trim().split('\n');
    const runnerPid = Number(firstAttempt!.split(' ')[1]);
    victim.process.kill('SIGKILL');
    const killedAt = Date.now();
    expect(await victim.exited).toBe('SIGKILL');

    // The handler's process dies with its worker: an orphan must never publish outputs.
    await eventually(() => (alive(runnerPid) ? undefined : true), 10_000, 'the orphaned runner to exit');

    const reLeased = await eventually(async () => {
      const current = await site.queue.get(job.id);
      return current.state === 'running' && current.workerId !== running.workerId ? current : undefined;
    }, 30_000, 're-lease');
    const reLeaseMs = Date.now() - killedAt;
    // Lease timeout, plus the queue's sweep interval and the idle poll (with room for a busy machine).
    expect(reLeaseMs).toBeLessThan(site.config.queue.leaseMs + 4_000);
    expect(reLeased.leaseLapses).toBe(1);

    const done = await eventually(async () => {
      const current = await site.queue.get(job.id);
      return ['succeeded', 'failed', 'cancelled'].includes(current.state) ? current : undefined;
    }, 60_000, 'the job to finish');
    expect(done.state).toBe('succeeded');
    const resumedFrom = (done.result as { resumedFrom: number }).resumedFrom;
    expect(resumedFrom).toBeGreaterThanOrEqual(3);

    const attempts = readFileSync(path.join(site.outDir, `${job.id}.attempts`), 'utf8').trim().split('\n');
    expect(attempts).toHaveLength(2);
    expect(readFileSync(path.join(site.outDir, `${job.id}.published`), 'utf8').trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(readFileSync(path.join(site.outDir, `${job.id}.out`), 'utf8'))).toEqual({ jobId: job.id, steps: 12, resumedFrom });

    // The worker completes the job in the queue first (only a live lease may claim success), then appends
    // the final state event: wait for it rather than racing it.
    const stateEvents = async () => (await site.events.list(job.id)).filter((e) => e.kind === 'state').map((e) => e.kind === 'state' && e.state);
    const states = await eventually(async () => {
      const seen = await stateEvents();
      return seen.includes('succeeded') ? seen : undefined;
    }, 10_000, 'the succeeded event');
    expect(states).toEqual(['running', 'running', 'succeeded']);
    console.log(`re-leased ${reLeaseMs} ms after SIGKILL (lease ${site.config.queue.leaseMs} ms), resumed from step ${resumedFrom}`);
  });
});
