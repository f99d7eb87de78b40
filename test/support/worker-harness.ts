import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/platform/config.js';
import type { Database } from '../../src/platform/db/database.js';
import { openDatabase } from '../../src/platform/db/open.js';
import { createLogger } from '../../src/platform/logger.js';
import { DbQueue, type Job, type JobQueue } from '../../src/platform/queue/index.js';
import { createEventStore, type EventStore, type JobEventInput } from '../../src/platform/events/index.js';
import { handlerRegistry } from '../../src/worker/handler-registry.js';
import { Worker, type WorkerOptions } from '../../src/worker/worker.js';
import { REPO_ROOT } from './cli.js';

export const FIXTURE_HANDLERS: Record<string, string> = {
  'test.echo': path.join(REPO_ROOT, 'test/fixtures/handlers/echo.ts'),
  'test.misbehave': path.join(REPO_ROOT, 'test/fixtures/handlers/misbehave.ts'),
  'test.checkpointed': path.join(REPO_ROOT, 'test/fixtures/handlers/checkpointed.ts'),
};

/** A job's events as appended, without the store's seq and time: what a test compares. */
export async function eventsOf(events: EventStore, jobId: string): Promise<JobEventInput[]> {
  return (await events.list(jobId)).map(({ jobId: _job, seq: _seq, at: _at, ...event }) => event as JobEventInput);
}

export interface WorkerHarness {
  home: string;
  database: Database;
  queue: JobQueue;
  events: EventStore;
  /** The job's events so far (the real db event store). */
  eventsOf(jobId: string): Promise<JobEventInput[]>;
  worker: Worker;
  /** Polls until the job is in one of `states` (generous bound: the machine is busy). */
  waitFor(jobId: string, states: Job['state'][], timeoutMs?: number): Promise<Job>;
  close(): Promise<void>;
}

/** A real worker on a real SQLite queue in a temp home, with the fixture handlers. */
export async function createWorkerHarness(options: Partial<WorkerOptions> & { leaseMs?: number } = {}): Promise<WorkerHarness> {
  const home = mkdtempSync(path.join(tmpdir(), 'crucible-worker-'));
  const config = loadConfig({ env: {}, cwd: home, overrides: { home, log: { level: 'silent' } } });
  const database = await openDatabase(config);
  const queue = new DbQueue(database, { leaseMs: options.leaseMs ?? 1_500 });
  const events = await createEventStore(config, { database });
  const worker = new Worker({
    queue,
    events,
    handlers: handlerRegistry(FIXTURE_HANDLERS),
    logger: createLogger(config),
    workRoot: path.join(home, 'work'),
    resources: { cpu: 4, memoryMb: 4_096, gpus: 0 },
    concurrency: 2,
    pollMs: 50,
    abortGraceMs: 1_000,
    ...options,
  });
  worker.start();
  return {
    home,
    database,
    queue,
    events,
    eventsOf: (jobId) => eventsOf(events, jobId),
    worker,
    waitFor: (jobId, states, timeoutMs) => waitForJob(queue, jobId, states, timeoutMs),
    async close() {
      await worker.stop(2_000);
      await events.close();
      await database.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

export async function waitForJob(queue: JobQueue, jobId: string, states: Job['state'][], timeoutMs = 30_000): Promise<Job> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await queue.get(jobId);
    if (states.includes(job.state)) return job;
    if (Date.now() > deadline) throw new Error(`job ${jobId} is ${job.state} after ${timeoutMs} ms, expected ${states.join('|')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
