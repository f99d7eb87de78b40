import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/platform/config.js';
import type { Database } from '../../src/platform/db/index.js';
import { openDatabase } from '../../src/platform/db/index.js';
import { DbEventStore } from '../../src/platform/events/db-event-store.js';
import type { JobEventInput } from '../../src/platform/events/index.js';
import { DbQueue } from '../../src/platform/queue/index.js';
import { CLI, runCli } from '../support/cli.js';

const log = (message: string): JobEventInput => ({ kind: 'log', level: 'info', message });
// A type no worker handles, so that only this test (playing the worker) moves the job along.
const TYPE = 'test.cli';
const FOLLOW_TYPE = 'test.cli-follow';
const FREE = { cpu: 64, memoryMb: 1_000_000, gpus: 8 };

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** `crucible start` on a fixed port (a restart must come back where the follower reconnects). */
function startServer(cwd: string, env: Record<string, string>, port: number): Promise<ChildProcessWithoutNullStreams> {
  const child = spawn(process.execPath, [CLI, 'start', '--port', String(port)], {
    cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, CRUCIBLE_LOG_LEVEL: 'warn', ...env },
  });
  let stderr = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 30 s:\n${stderr}`)), 30_000);
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (/listening on/.test(stderr)) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.stdout.resume();
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${stderr}`));
    });
  });
}

function stopServer(child: ChildProcessWithoutNullStreams): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function until(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('crucible job against a real crucible start', () => {
  let cwd: string;
  let env: Record<string, string>;
  let port: number;
  let server: ChildProcessWithoutNullStreams;
  // The test plays the worker: another process on the same SQLite file, as `crucible worker` would be.
  let database: Database;
  let queue: DbQueue;
  let events: DbEventStore;

  beforeAll(async () => {
    cwd = mkdtempSync(path.join(tmpdir(), 'crucible-job-cli-'));
    port = await freePort();
    env = { CRUCIBLE_HOME: path.join(cwd, 'home'), CRUCIBLE_URL: `http://127.0.0.1:${port}` };
    server = await startServer(cwd, env, port);
    database = await openDatabase(loadConfig({ env: {}, cwd, overrides: { home: env.CRUCIBLE_HOME } }));
    queue = new DbQueue(database);
    events = new DbEventStore(database);
  });
  afterAll(async () => {
    await events?.close();
    await database?.close();
    if (server) await stopServer(server);
    rmSync(cwd, { recursive: true, force: true });
  });

  it('lists, shows, prints logs, cancels and retries jobs, with --json', async () => {
    const job = await queue.enqueue({ type: TYPE, payload: { n: 1 } });
    await events.append(job.id, [{ kind: 'state', state: 'queued' }, log('hello'), { kind: 'metric', name: 'loss', value: 0.25, step: 3 }]);

    const list = runCli(['job', 'list', '--json'], { cwd, env });
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout).items.map((j: { id: string }) => j.id)).toContain(job.id);
    const table = runCli(['job', 'list', '--state', 'queued'], { cwd, env });
    expect(table.stdout).toMatch(/ID\s+TYPE\s+STATE/);
    expect(table.stdout).toContain(job.id);
    expect(runCli(['job', 'list', '--state', 'bogus'], { cwd, env })).toMatchObject({ code: 1, stderr: expect.stringContaining('Unknown job state "bogus"') });

    const shown = runCli(['job', 'show', job.id, '--json'], { cwd, env });
    expect(JSON.parse(shown.stdout)).toMatchObject({ id: job.id, type: TYPE, state: 'queued', payload: { n: 1 } });
    expect(runCli(['job', 'show', 'job_missing'], { cwd, env })).toMatchObject({ code: 1, stderr: expect.stringContaining('does not exist') });

    const logs = runCli(['job', 'logs', job.id], { cwd, env });
    expect(logs.code).toBe(0);
    expect(logs.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(/STATE queued$/),
      expect.stringMatching(/INFO  hello$/),
      expect.stringMatching(/METRIC loss=0.25 step=3$/),
    ]);
    const json = runCli(['job', 'logs', job.id, '--json', '--after', '1'], { cwd, env });
    expect(json.stdout.trim().split('\n').map((line) => JSON.parse(line).seq)).toEqual([2, 3]);

    const cancelled = runCli(['job', 'cancel', job.id], { cwd, env });
    expect(cancelled).toMatchObject({ code: 0, stdout: `Job ${job.id} is cancelled.\n` });
    expect(JSON.parse(runCli(['job', 'retry', job.id, '--json'], { cwd, env }).stdout).state).toBe('queued');
    expect(runCli(['job', 'retry', job.id], { cwd, env })).toMatchObject({ code: 1, stderr: expect.stringContaining('only failed or cancelled jobs') });
    expect(runCli(['job', '--help'], { cwd, env }).stdout).toContain('crucible job logs');
  });

  it('logs --follow streams to the end, survives a server restart by resuming with Last-Event-ID, and exits 1 when the job failed', async () => {
    const job = await queue.enqueue({ type: FOLLOW_TYPE });
    await events.append(job.id, [{ kind: 'state', state: 'queued' }, log('before follow')]);

    const follower = spawn(process.execPath, [CLI, 'job', 'logs', job.id, '--follow'], { cwd, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } });
    let stdout = '';
    let stderr = '';
    follower.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    follower.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => follower.once('exit', (code) => resolve(code)));
    try {
      await until(() => stdout.includes('before follow'), 'the history');
      let leased = await queue.lease('test-worker', { types: [FOLLOW_TYPE], resources: FREE });
      expect(leased?.job.id).toBe(job.id);
      await events.append(job.id, [{ kind: 'state', state: 'running', attempt: 1 }, log('live 1')]);
      await until(() => stdout.includes('live 1'), 'a live event');

      // The server goes away; the job goes on meanwhile; the server comes back on the same port.
      await stopServer(server);
      await events.append(job.id, [log('while the server was down')]);
      server = await startServer(cwd, env, port);
      await until(() => stdout.includes('while the server was down'), 'the events appended while the server was down');

      await events.append(job.id, [{ kind: 'progress', done: 1, total: 2 }]);
      leased = leased!;
      await queue.fail(job.id, leased.leaseToken, { message: 'out of patience' }, { retry: false });
      await events.append(job.id, [{ kind: 'state', state: 'failed', attempt: 1, error: { message: 'out of patience' } }]);
      expect(await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve('still running'), 30_000))])).toBe(1);
    } finally {
      if (follower.exitCode === null) follower.kill('SIGKILL');
    }
    const lines = stdout.trim().split('\n');
    expect(lines.map((line) => line.slice(9))).toEqual([
      'STATE queued',
      'INFO  before follow',
      'STATE running (attempt 1)',
      'INFO  live 1',
      'INFO  while the server was down',
      'PROGRESS 1/2',
      'STATE failed (attempt 1): out of patience',
    ]);
    expect(stderr).toContain(`Job ${job.id} failed: out of patience`);
    expect(stderr).toContain('reconnecting');
    expect(readFileSync(path.join(env.CRUCIBLE_HOME!, 'admin.key'), 'utf8')).toMatch(/^crk_/);
  });
});
