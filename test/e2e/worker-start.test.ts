/**
 * The whole path a user takes: `crucible start`, an admin submits a `command` job over the API, the
 * in-process pool runs it, and its output and metrics come back as the job's events; an editor may not
 * submit one.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCliServer, stopCliServer, type StartedServer } from '../support/cli.js';

describe('crucible start: command jobs through the API and the in-process workers', () => {
  let dir: string;
  let server: StartedServer;
  let adminKey: string;
  const api = async (method: string, url: string, body?: unknown, key = adminKey) => {
    const response = await fetch(`${server.url}${url}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'crucible-worker-start-'));
    server = await startCliServer({ cwd: dir, env: { CRUCIBLE_WORKER_CONCURRENCY: '1' } });
    adminKey = readFileSync(path.join(dir, '.crucible', 'admin.key'), 'utf8').trim();
  });
  afterAll(async () => {
    expect(await stopCliServer(server)).toBe(0);
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs an admin\'s command job and serves its logs and metrics as events', async () => {
    const script = "console.log('training'); console.log('CRUCIBLE_METRIC ' + JSON.stringify({ name: 'loss', value: 0.25, step: 3 }))";
    const submitted = await api('POST', '/api/v1/jobs', { type: 'command', payload: { command: [process.execPath, '-e', script] } });
    expect(submitted.status).toBe(201);
    const id = submitted.body.id as string;
    await expect
      .poll(async () => (await api('GET', `/api/v1/jobs/${id}`)).body.state, { timeout: 60_000, interval: 200 })
      .toBe('succeeded');
    await expect
      .poll(async () => ((await api('GET', `/api/v1/jobs/${id}/events`)).body.items as Array<{ kind: string; state?: string }>).at(-1), { timeout: 10_000 })
      .toMatchObject({ kind: 'state', state: 'succeeded' });
    const items = (await api('GET', `/api/v1/jobs/${id}/events`)).body.items as Array<Record<string, unknown>>;
    expect(items).toContainEqual(expect.objectContaining({ kind: 'log', message: 'training', stream: 'stdout' }));
    expect(items).toContainEqual(expect.objectContaining({ kind: 'metric', name: 'loss', value: 0.25, step: 3 }));
    expect(items.filter((e) => e.kind === 'state').map((e) => e.state)).toEqual(['queued', 'running', 'succeeded']);
    // The job's metrics are tracked in its run, which ends finished with the job.
    const runs = (await api('GET', `/api/v1/runs?job=${id}`)).body.items as Array<{ id: string; status: string }>;
    expect(runs).toHaveLength(1);
    expect(runs[0]!.status).toBe('finished');
    const series = (await api('GET', `/api/v1/runs/${runs[0]!.id}/metrics?name=loss`)).body.items as Array<Record<string, unknown>>;
    expect(series).toEqual([expect.objectContaining({ name: 'loss', step: 3, value: 0.25 })]);
  });

  it('refuses a command job from an editor', async () => {
    const created = await api('POST', '/api/v1/keys', { name: 'ed', role: 'editor' });
    const refused = await api('POST', '/api/v1/jobs', { type: 'command', payload: { command: ['true'] } }, created.body.key as string);
    expect(refused.status).toBe(403);
  });
});
