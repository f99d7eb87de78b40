import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobEventInput } from '../../src/platform/events/index.js';
import { describeWithPostgres, describeWithRedis, testRedisUrl } from '../support/team-services.js';
import { bearer, createTestApp, type TestApp } from '../support/test-app.js';

interface SseMessage {
  id: string;
  event: string;
  data: Record<string, unknown>;
}

/** A minimal SSE reader over fetch: calls `onMessage` per event; resolves when the server ends the stream. */
async function readSse(
  url: string,
  headers: Record<string, string>,
  onMessage: (message: SseMessage) => void,
  signal?: AbortSignal,
): Promise<{ status: number; contentType: string | null; ended: boolean; body?: unknown }> {
  const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, ...(signal ? { signal } : {}) });
  if (!response.ok) return { status: response.status, contentType: response.headers.get('content-type'), ended: true, body: await response.json() };
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for await (const chunk of response.body!) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const fields: Record<string, string> = {};
        for (const line of block.split('\n')) {
          if (line.startsWith(':') || !line.includes(':')) continue;
          const key = line.slice(0, line.indexOf(':'));
          fields[key] = line.slice(line.indexOf(':') + 1).replace(/^ /, '');
        }
        if (fields.data !== undefined && fields.id !== undefined) {
          onMessage({ id: fields.id, event: fields.event ?? 'message', data: JSON.parse(fields.data) as Record<string, unknown> });
        }
      }
    }
  } catch (err) {
    if ((err as Error).name !== 'AbortError') throw err;
    return { status: response.status, contentType: response.headers.get('content-type'), ended: false };
  }
  return { status: response.status, contentType: response.headers.get('content-type'), ended: true };
}

async function until(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const log = (message: string): JobEventInput => ({ kind: 'log', level: 'info', message });
const FREE = { cpu: 64, memoryMb: 1_000_000, gpus: 8 };

/** The jobs API on a real app, on each database adapter. No worker runs here: tests play its part through the queue and event ports. */
function describeJobsApi(dialect: 'sqlite' | 'postgres', config?: Record<string, unknown>) {
  let t: TestApp;
  let editorKey: string;
  let viewerKey: string;
  let baseUrl: string;

  const submit = (key: string, payload: Record<string, unknown>) =>
    t.app.inject({ method: 'POST', url: '/api/v1/jobs', headers: bearer(key), payload });
  const get = (key: string, url: string) => t.app.inject({ method: 'GET', url, headers: bearer(key) });
  const post = (key: string, url: string) => t.app.inject({ method: 'POST', url, headers: bearer(key) });

  /** Takes the job as a worker would and returns its lease token. */
  async function leaseJob(jobId: string): Promise<string> {
    for (;;) {
      const leased = await t.ctx.queue.lease('test-worker', { types: ['noop'], resources: FREE });
      if (!leased) throw new Error(`job ${jobId} was not leasable`);
      if (leased.job.id === jobId) return leased.leaseToken;
      await t.ctx.queue.complete(leased.job.id, leased.leaseToken);
    }
  }

  beforeAll(async () => {
    t = await createTestApp({ dialect, ...(config ? { config } : {}) });
    const make = async (name: string, role: string) => {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/keys', headers: bearer(t.adminKey), payload: { name, role } });
      expect(res.statusCode).toBe(201);
      return res.json().key as string;
    };
    editorKey = await make('editor-1', 'editor');
    viewerKey = await make('viewer-1', 'viewer');
    baseUrl = (await t.app.listen({ host: '127.0.0.1', port: 0 })).replace('localhost', '127.0.0.1');
  });
  afterAll(async () => t?.close());

  it('submits a job (editor), which readers can get and list, and records it as queued', async () => {
    const res = await submit(editorKey, { type: 'noop', payload: { sleepMs: 5 }, priority: 7, resources: { cpu: 0.5 }, max_attempts: 2 });
    expect(res.statusCode).toBe(201);
    const job = res.json();
    expect(job).toMatchObject({ type: 'noop', state: 'queued', payload: { sleepMs: 5 }, priority: 7, max_attempts: 2, failed_attempts: 0, error: null });
    expect(job.resources).toEqual({ cpu: 0.5, memory_mb: 0, gpus: 0 });
    expect(job.id).toMatch(/^job_/);

    const fetched = await get(viewerKey, `/api/v1/jobs/${job.id}`);
    expect(fetched.statusCode).toBe(200);
    expect(fetched.json()).toEqual(job);

    const listed = await get(viewerKey, '/api/v1/jobs?state=queued,running&type=noop');
    expect(listed.statusCode).toBe(200);
    expect(listed.json().items.map((j: { id: string }) => j.id)).toContain(job.id);
    expect((await get(viewerKey, '/api/v1/jobs?state=succeeded')).json().items.map((j: { id: string }) => j.id)).not.toContain(job.id);

    const events = await get(viewerKey, `/api/v1/jobs/${job.id}/events`);
    expect(events.statusCode).toBe(200);
    expect(events.json()).toMatchObject({ items: [{ job_id: job.id, seq: 1, kind: 'state', state: 'queued' }], next_cursor: null });
  });

  it('fills the payload defaults from the type schema, and an idempotency key returns the first job', async () => {
    const first = await submit(editorKey, { type: 'noop', idempotency_key: `key-${dialect}` });
    expect(first.statusCode).toBe(201);
    expect(first.json().payload).toEqual({ sleepMs: 0 });
    const again = await submit(editorKey, { type: 'noop', idempotency_key: `key-${dialect}` });
    expect(again.json().id).toBe(first.json().id);
    expect((await get(viewerKey, `/api/v1/jobs/${first.json().id}/events`)).json().items).toHaveLength(1);
  });

  it('pages the job list with a cursor', async () => {
    for (let i = 0; i < 3; i++) expect((await submit(editorKey, { type: 'noop' })).statusCode).toBe(201);
    const page1 = (await get(viewerKey, '/api/v1/jobs?limit=2')).json();
    expect(page1.items).toHaveLength(2);
    expect(page1.next_cursor).toEqual(expect.any(String));
    const page2 = (await get(viewerKey, `/api/v1/jobs?limit=2&cursor=${page1.next_cursor}`)).json();
    expect(page2.items[0].id < page1.items[1].id).toBe(true);
  });

  it('enforces roles: viewers cannot submit, editors cannot submit command jobs, admins can', async () => {
    const byViewer = await submit(viewerKey, { type: 'noop' });
    expect(byViewer.statusCode).toBe(403);
    expect(byViewer.json().error).toMatchObject({ code: 'forbidden' });
    expect(byViewer.json().error.message).toContain('editor');

    const command = { type: 'command', payload: { command: ['echo', 'hi'] } };
    const byEditor = await submit(editorKey, command);
    expect(byEditor.statusCode).toBe(403);
    expect(byEditor.json().error.message).toMatch(/Submitting command jobs needs the admin role/);

    const byAdmin = await submit(t.adminKey, command);
    expect(byAdmin.statusCode).toBe(201);
    expect(byAdmin.json().payload).toEqual({ command: ['echo', 'hi'], env: {} });

    const job = (await submit(editorKey, { type: 'noop' })).json();
    expect((await post(viewerKey, `/api/v1/jobs/${job.id}/cancel`)).statusCode).toBe(403);
    expect((await get(viewerKey, `/api/v1/jobs/${job.id}`)).json().state).toBe('queued');
  });

  it('refuses an unknown type with 400 naming the known types, and changes nothing', async () => {
    const before = (await get(viewerKey, '/api/v1/jobs?limit=500')).json().items.length;
    const res = await submit(editorKey, { type: 'dataset.frobnicate', payload: {} });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('job_type_unknown');
    // The message names every registered type, whatever the domains have registered so far.
    const known = t.ctx.jobs.types.types().join(', ');
    expect(known).toMatch(/command.*noop/);
    expect(res.json().error.message).toBe(`Unknown job type "dataset.frobnicate". Known types: ${known}.`);
    expect((await get(viewerKey, '/api/v1/jobs?limit=500')).json().items.length).toBe(before);
  });

  it('refuses a bad payload with 400 and the field path', async () => {
    const res = await submit(t.adminKey, { type: 'command', payload: { command: 'echo hi' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('job_payload_invalid');
    expect(res.json().error.message).toMatch(/^Invalid payload for a command job at "payload\.command": /);
    expect(res.json().error.details.issues[0].path).toBe('payload.command');

    const nested = await submit(editorKey, { type: 'noop', payload: { sleepMs: -1 } });
    expect(nested.statusCode).toBe(400);
    expect(nested.json().error.details.issues[0].path).toBe('payload.sleepMs');

    const body = await submit(editorKey, { type: 'noop', priority: 5_000 });
    expect(body.statusCode).toBe(400);
    expect(body.json().error.message).toContain('priority');
  });

  it('answers 404 with a hint for a job that does not exist', async () => {
    for (const url of ['/api/v1/jobs/job_nope', '/api/v1/jobs/job_nope/events']) {
      const res = await get(viewerKey, url);
      expect(res.statusCode).toBe(404);
      expect(res.json().error).toMatchObject({ code: 'job_not_found' });
      expect(res.json().error.message).toContain('crucible job list');
    }
    const sse = await readSse(`${baseUrl}/api/v1/jobs/job_nope/events`, bearer(viewerKey), () => undefined);
    expect(sse.status).toBe(404);
    expect(sse.body).toMatchObject({ error: { code: 'job_not_found' } });
  });

  it('cancels a waiting job at once, asks a running one to stop, and retries a cancelled one', async () => {
    const waiting = (await submit(editorKey, { type: 'noop' })).json();
    const cancelled = await post(editorKey, `/api/v1/jobs/${waiting.id}/cancel`);
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.json().state).toBe('cancelled');
    expect((await post(editorKey, `/api/v1/jobs/${waiting.id}/cancel`)).json().state).toBe('cancelled');

    const notRetryable = await post(editorKey, `/api/v1/jobs/${(await submit(editorKey, { type: 'noop' })).json().id}/retry`);
    expect(notRetryable.statusCode).toBe(409);
    expect(notRetryable.json().error.code).toBe('job_not_retryable');

    const retried = await post(editorKey, `/api/v1/jobs/${waiting.id}/retry`);
    expect(retried.statusCode).toBe(200);
    expect(retried.json().state).toBe('queued');
    const states = (await get(viewerKey, `/api/v1/jobs/${waiting.id}/events?kinds=state`)).json().items.map((e: { state: string }) => e.state);
    expect(states).toEqual(['queued', 'cancelled', 'queued']);

    const running = (await submit(editorKey, { type: 'noop' })).json();
    await leaseJob(running.id);
    const asked = await post(editorKey, `/api/v1/jobs/${running.id}/cancel`);
    expect(asked.json()).toMatchObject({ state: 'running', cancel_requested: true });
    const logs = (await get(viewerKey, `/api/v1/jobs/${running.id}/events?kinds=log`)).json().items;
    expect(logs[0].message).toMatch(/^Cancellation requested by editor-1/);
  });

  it('pages event history with next_cursor, ?after= and a kinds filter', async () => {
    const job = (await submit(editorKey, { type: 'noop' })).json();
    await t.ctx.events.append(job.id, [log('a'), { kind: 'metric', name: 'loss', value: 1.5, step: 1 }, log('b'), { kind: 'progress', done: 1, total: 4 }]);
    const page1 = (await get(viewerKey, `/api/v1/jobs/${job.id}/events?limit=2`)).json();
    expect(page1.items.map((e: { seq: number }) => e.seq)).toEqual([1, 2]);
    expect(page1.next_cursor).toBe('2');
    const page2 = (await get(viewerKey, `/api/v1/jobs/${job.id}/events?limit=2&cursor=${page1.next_cursor}`)).json();
    expect(page2.items).toMatchObject([{ seq: 3, kind: 'metric', name: 'loss', value: 1.5, step: 1 }, { seq: 4, kind: 'log', message: 'b' }]);
    expect((await get(viewerKey, `/api/v1/jobs/${job.id}/events?after=4`)).json()).toEqual({
      items: [{ job_id: job.id, seq: 5, at: expect.any(String), kind: 'progress', done: 1, total: 4 }],
      next_cursor: null,
    });
    expect((await get(viewerKey, `/api/v1/jobs/${job.id}/events?kinds=metric,progress`)).json().items.map((e: { seq: number }) => e.seq)).toEqual([3, 5]);
    const bad = await get(viewerKey, `/api/v1/jobs/${job.id}/events?kinds=logs`);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toContain('log, metric, progress, state');
  });

  it('SSE: a client that disconnects mid-stream and reconnects with Last-Event-ID receives every event exactly once', async () => {
    const job = (await submit(editorKey, { type: 'noop' })).json();
    await t.ctx.events.append(job.id, [log('history 1'), log('history 2')]);
    const url = `${baseUrl}/api/v1/jobs/${job.id}/events`;
    const received: SseMessage[] = [];

    // First connection: history, then live events, then the client drops the connection.
    const drop = new AbortController();
    const first = readSse(url, bearer(viewerKey), (message) => received.push(message), drop.signal);
    await until(() => received.length >= 3, 'the history');
    await t.ctx.events.append(job.id, [log('live 1'), { kind: 'metric', name: 'loss', value: 0.5, step: 1 }]);
    await until(() => received.length >= 5, 'the live events');
    drop.abort();
    expect((await first).ended).toBe(false);

    // While it is away, the job goes on.
    const token = await leaseJob(job.id);
    await t.ctx.events.append(job.id, [{ kind: 'state', state: 'running', attempt: 1 }, log('while away 1')]);
    await t.ctx.events.append(job.id, [log('while away 2')]);

    // It reconnects from the last id it saw, and follows the job to its end.
    const lastId = received[received.length - 1]!.id;
    const second = readSse(url, { ...bearer(viewerKey), 'last-event-id': lastId }, (message) => received.push(message));
    await until(() => received.length >= 8, 'the events sent while away');
    await t.ctx.events.append(job.id, [{ kind: 'progress', done: 1, total: 1 }]);
    await t.ctx.queue.complete(job.id, token, { ok: true });
    await t.ctx.events.append(job.id, [{ kind: 'state', state: 'succeeded', attempt: 1 }]);
    const result = await second;
    expect(result.ended).toBe(true);
    expect(result.contentType).toContain('text/event-stream');

    expect(received.map((m) => Number(m.id))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(received.map((m) => m.event)).toEqual(['state', 'log', 'log', 'log', 'metric', 'state', 'log', 'log', 'progress', 'state']);
    expect(received[9]!.data).toMatchObject({ job_id: job.id, seq: 10, kind: 'state', state: 'succeeded' });
    expect(received.every((m) => m.data.seq === Number(m.id))).toBe(true);
  });

  it('SSE: ?after= resumes for clients that cannot set headers, and a finished job streams its history and ends', async () => {
    const job = (await submit(editorKey, { type: 'noop' })).json();
    const token = await leaseJob(job.id);
    await t.ctx.events.append(job.id, [{ kind: 'state', state: 'running', attempt: 1 }, log('work')]);
    await t.ctx.queue.fail(job.id, token, { message: 'boom', stack: 'Error: boom\n    at handler' }, { retry: false });
    await t.ctx.events.append(job.id, [{ kind: 'state', state: 'failed', attempt: 1, error: { message: 'boom', stack: 'Error: boom\n    at handler' } }]);
    const received: SseMessage[] = [];
    const result = await readSse(`${baseUrl}/api/v1/jobs/${job.id}/events?after=2`, bearer(viewerKey), (message) => received.push(message));
    expect(result.ended).toBe(true);
    expect(received.map((m) => m.id)).toEqual(['3', '4']);
    expect(received[1]!.data).toMatchObject({ state: 'failed', error: { message: 'boom', stack: expect.stringContaining('at handler') } });
  });
}

describe('jobs API on SQLite', () => describeJobsApi('sqlite'));
describeWithPostgres('jobs API on PostgreSQL', () => describeJobsApi('postgres'));
describeWithRedis('jobs API with event streams in Redis (team mode)', () => {
  const name = `test-${randomUUID()}`;
  afterAll(async () => {
    const redis = new Redis(testRedisUrl!);
    const keys = await redis.keys(`${name}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });
  describeJobsApi('sqlite', { events: { driver: 'redis', url: testRedisUrl }, queue: { name } });
});
