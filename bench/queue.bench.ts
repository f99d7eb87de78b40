// npm run bench:queue — jobs/s of 2,000 no-op jobs through 4 concurrent workers (lease → complete
// loops sharing one queue client, as an in-process worker pool does) for each queue adapter: the
// embedded queue on SQLite, BullMQ on Redis and BullMQ on PostgreSQL (and, for reference, the
// embedded queue on PostgreSQL), measured in the same run.
// Services: CRUCIBLE_TEST_REDIS_URL and CRUCIBLE_TEST_POSTGRES_URL (defaults on 127.0.0.1).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { loadConfig } from '../src/platform/config.js';
import { openDatabase } from '../src/platform/db/open.js';
import { BullmqQueue } from '../src/platform/queue/bullmq-queue.js';
import { DbQueue, type JobQueue } from '../src/platform/queue/index.js';

const JOBS = Number(process.env.BENCH_JOBS ?? 2_000);
const WORKERS = 4;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const REDIS_URL = process.env.CRUCIBLE_TEST_REDIS_URL || 'redis://127.0.0.1:6379';
const POSTGRES_URL = process.env.CRUCIBLE_TEST_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/test';
const RESOURCES = { cpu: 4, memoryMb: 8_192, gpus: 0 };

interface Target {
  open(): Promise<JobQueue>;
  dispose(): Promise<void>;
}

function sqliteTarget(): Target {
  const home = mkdtempSync(path.join(tmpdir(), 'crucible-bench-queue-'));
  let close = async () => {};
  return {
    async open() {
      const database = await openDatabase(loadConfig({ env: {}, cwd: home, overrides: { home } }));
      close = () => database.close();
      return new DbQueue(database);
    },
    async dispose() {
      await close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

function bullmqTarget(url: string): Target {
  const name = `bench-${randomBytes(4).toString('hex')}`;
  let queue: BullmqQueue | undefined;
  return {
    async open() {
      queue = new BullmqQueue({ url, name });
      await queue.ping();
      return queue;
    },
    async dispose() {
      await queue?.obliterate();
      await queue?.close();
    },
  };
}

function embeddedPostgresTarget(url: string): Target {
  let close = async () => {};
  return {
    async open() {
      const database = await openDatabase(loadConfig({ env: {}, overrides: { database: { url } } }));
      close = () => database.close();
      return new DbQueue(database);
    },
    dispose: () => close(),
  };
}

/** A fresh PostgreSQL database for BullMQ's tables (or, `embedded`, for our jobs table), dropped afterwards. */
async function postgresTarget(embedded = false): Promise<Target> {
  const db = `crucible_bench_${randomBytes(4).toString('hex')}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`create database "${db}"`);
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${db}`;
  const inner = embedded ? embeddedPostgresTarget(url.toString()) : bullmqTarget(url.toString());
  return {
    open: () => inner.open(),
    async dispose() {
      await inner.dispose();
      await admin(`drop database if exists "${db}" with (force)`);
    },
  };
}

/** Enqueues JOBS no-op jobs, then times WORKERS lease → complete loops until all are done. */
async function run(queue: JobQueue): Promise<{ enqueuePerS: number; jobsPerS: number }> {
  const enqueueStart = performance.now();
  for (let i = 0; i < JOBS; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, JOBS - i) }, (_, k) => queue.enqueue({ type: 'bench.noop', payload: { i: i + k } })));
  }
  const enqueueS = (performance.now() - enqueueStart) / 1000;

  let done = 0;
  const start = performance.now();
  const worker = async (id: string) => {
    while (done < JOBS) {
      const leased = await queue.lease(id, { resources: RESOURCES });
      if (!leased) continue;
      await queue.complete(leased.job.id, leased.leaseToken, null);
      done++;
    }
  };
  await Promise.all(Array.from({ length: WORKERS }, (_, i) => worker(`bench-${i}`)));
  const seconds = (performance.now() - start) / 1000;
  const left = await queue.list({ state: ['queued', 'running'], limit: 1 });
  if (left.items.length > 0 || done !== JOBS) throw new Error(`${queue.driver}: ${done} of ${JOBS} completed, ${left.items.length} left`);
  return { enqueuePerS: JOBS / enqueueS, jobsPerS: JOBS / seconds };
}

async function measure(label: string, makeTarget: () => Target | Promise<Target>): Promise<number | null> {
  let best = 0;
  for (let round = 1; round <= ROUNDS; round++) {
    let target: Target | undefined;
    try {
      target = await makeTarget();
      const queue = await target.open();
      const { enqueuePerS, jobsPerS } = await run(queue);
      console.log(`${label} round ${round}: ${jobsPerS.toFixed(0)} jobs/s leased+completed (${enqueuePerS.toFixed(0)} enqueues/s)`);
      best = Math.max(best, jobsPerS);
    } catch (err) {
      console.log(`${label}: skipped (${(err as Error).message})`);
      return null;
    } finally {
      await target?.dispose().catch(() => {});
    }
  }
  return best;
}

const sqlite = await measure('embedded (SQLite)', sqliteTarget);
const redis = await measure('BullMQ (Redis)', () => bullmqTarget(REDIS_URL));
const postgres = await measure('BullMQ (PostgreSQL)', () => postgresTarget());
// For reference: our embedded queue on the PostgreSQL metadata db (FOR UPDATE SKIP LOCKED).
const embeddedPostgres = await measure('embedded (PostgreSQL)', () => postgresTarget(true));
const round = (n: number | null) => (n === null ? null : Math.round(n));
const ratio = sqlite !== null && redis ? Number((sqlite / redis).toFixed(2)) : null;
console.log(
  `${JOBS} no-op jobs, ${WORKERS} workers, best of ${ROUNDS}: embedded SQLite ${round(sqlite)} jobs/s (target ≥ 500), ` +
    `BullMQ Redis ${round(redis)} jobs/s, BullMQ PostgreSQL ${round(postgres)} jobs/s (embedded on PostgreSQL ${round(embeddedPostgres)}); embedded/BullMQ-Redis ${ratio}`,
);
console.log(
  `BENCH ${JSON.stringify({ name: 'queue', jobs_per_s_sqlite: round(sqlite), jobs_per_s_bullmq_redis: round(redis), jobs_per_s_bullmq_postgres: round(postgres), ratio_sqlite_vs_bullmq_redis: ratio, jobs_per_s_embedded_postgres: round(embeddedPostgres), jobs: JOBS, workers: WORKERS })}`,
);
process.exit(0); // pg and ioredis sockets that BullMQ keeps for a moment must not hold the benchmark open
