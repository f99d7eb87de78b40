import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { loadConfig, type Config } from '../../src/platform/config.js';
import type { Database } from '../../src/platform/db/database.js';
import { openDatabase } from '../../src/platform/db/open.js';
import { createEventStore, type EventStore } from '../../src/platform/events/index.js';
import { DbQueue } from '../../src/platform/queue/index.js';
import { CLI } from './cli.js';
import { FIXTURE_HANDLERS } from './worker-harness.js';

export interface WorkerProcess {
  process: ChildProcessWithoutNullStreams;
  stderr: () => string;
  /** Resolves with the exit code, or the signal that ended it. */
  exited: Promise<number | NodeJS.Signals | null>;
}

/**
 * A temp directory with a crucible.yaml that registers the fixture handlers and short leases, and
 * the db, queue and event store opened on it from this (the test) process.
 */
export interface WorkerSite {
  dir: string;
  outDir: string;
  config: Config;
  database: Database;
  queue: DbQueue;
  events: EventStore;
  /** `crucible ARGS` with this directory as its working directory. */
  spawnCli(args: string[]): WorkerProcess;
  close(): Promise<void>;
}

export async function createWorkerSite(settings: { leaseMs?: number; worker?: Record<string, unknown> } = {}): Promise<WorkerSite> {
  const dir = mkdtempSync(path.join(tmpdir(), 'crucible-worker-e2e-'));
  const outDir = path.join(dir, 'out');
  mkdirSync(outDir);
  const yaml = {
    queue: { leaseMs: settings.leaseMs ?? 2_000 },
    worker: { pollMs: 100, abortGraceMs: 1_000, shutdownGraceMs: 5_000, handlers: FIXTURE_HANDLERS, ...settings.worker },
    log: { level: 'warn' },
  };
  writeFileSync(path.join(dir, 'crucible.yaml'), stringify(yaml));
  const config = loadConfig({ env: {}, cwd: dir });
  const database = await openDatabase(config);
  const queue = new DbQueue(database, { leaseMs: config.queue.leaseMs });
  const events = await createEventStore(config, { database });
  const children: WorkerProcess[] = [];
  return {
    dir,
    outDir,
    config,
    database,
    queue,
    events,
    spawnCli(args) {
      const child = spawn(process.execPath, [CLI, ...args], { cwd: dir, env: { PATH: process.env.PATH, HOME: process.env.HOME } });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.stdout.resume();
      const exited = new Promise<number | NodeJS.Signals | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
      const handle = { process: child, stderr: () => stderr, exited };
      children.push(handle);
      return handle;
    },
    async close() {
      for (const child of children) if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
      await Promise.all(children.map((child) => child.exited));
      await events.close();
      await database.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `check` until it returns a value that is not undefined (generous bound: busy machine). */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs = 60_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
