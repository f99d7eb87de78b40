import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../src/auth/index.js';
import type { JobEventInput } from '../../src/platform/events/index.js';
import { withRunTracking, type RunView } from '../../src/tracking/index.js';
import { describeWithPostgres } from '../support/team-services.js';
import { bearer, createTestApp, type TestApp } from '../support/test-app.js';

function describeTrackingApi(dialect: 'sqlite' | 'postgres'): void {
  let t: TestApp;
  let editor: string;
  let viewer: string;
  const as = (key: string) => bearer(key);

  beforeAll(async () => {
    t = await createTestApp({ dialect });
    editor = (await t.ctx.keys.create(SYSTEM_ACTOR, { name: 'ed', role: 'editor' })).key;
    viewer = (await t.ctx.keys.create(SYSTEM_ACTOR, { name: 'vi', role: 'viewer' })).key;
  });
  afterAll(async () => {
    await t?.close();
  });

  async function createRun(body: Record<string, unknown>): Promise<RunView> {
    const response = await t.app.inject({ method: 'POST', url: '/api/v1/runs', headers: as(editor), payload: body });
    expect(response.statusCode, response.body).toBe(201);
    return response.json<RunView>();
  }
  const logBatch = (id: string, body: unknown, key = editor) => t.app.inject({ method: 'POST', url: `/api/v1/runs/${id}/log-batch`, headers: as(key), payload: body as Record<string, unknown> });
  const getRun = async (id: string) => (await t.app.inject({ url: `/api/v1/runs/${id}`, headers: as(viewer) })).json<RunView>();
  const series = async (id: string, name: string) => (await t.app.inject({ url: `/api/v1/runs/${id}/metrics?name=${encodeURIComponent(name)}`, headers: as(viewer) })).json<{ items: Array<{ step: number; value: number }> }>().items;

  it('creates a run and reads it back; params are set once (same value again is fine, another is 409 param_conflict)', async () => {
    const run = await createRun({ name: 'baseline', params: { lr: 0.001, batch_size: 32, optimizer: 'adamw', warmup: true }, tags: { team: 'nlp' } });
    expect(run).toMatchObject({ name: 'baseline', status: 'running', job_id: null, end_time: null, created_by: 'ed', params: { lr: '0.001', batch_size: '32', optimizer: 'adamw', warmup: 'true' }, tags: { team: 'nlp' } });
    expect(run.id).toMatch(/^run_/);

    expect((await logBatch(run.id, { params: { lr: 0.001, epochs: 3 }, tags: { team: 'vision' } })).statusCode).toBe(200);
    const conflict = await logBatch(run.id, { params: { lr: 0.01 }, metrics: [{ name: 'loss', value: 1, step: 0 }], tags: { team: 'audio' } });
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json().error).toMatchObject({ code: 'param_conflict', details: { conflicts: [{ key: 'lr', existing: '0.001', given: '0.01' }] } });
    expect(conflict.json().error.message).toMatch(/set once/);
    const after = await getRun(run.id);
    // All or nothing: the refused batch's metric and tag are not there.
    expect(after.params).toEqual({ lr: '0.001', batch_size: '32', optimizer: 'adamw', warmup: 'true', epochs: '3' });
    expect(after.tags).toEqual({ team: 'vision' });
    expect(after.metrics).toEqual({});
  });

  it('log-batch appends metrics, is atomic on bad items, and enforces its limits', async () => {
    const run = await createRun({ name: 'limits' });
    const ok = await logBatch(run.id, { metrics: [{ name: 'loss', value: 2.5, step: 0 }, { name: 'loss', value: 2.0, step: 1 }, { name: 'acc', value: 0.5 }] });
    expect(ok.json()).toEqual({ run_id: run.id, params: 0, tags: 0, metrics: 3 });
    // Metrics append: the same step again is kept as another point.
    await logBatch(run.id, { metrics: [{ name: 'loss', value: 1.9, step: 1, timestamp: '2026-01-01T00:00:00Z' }] });
    expect(await series(run.id, 'loss')).toEqual([
      expect.objectContaining({ step: 0, value: 2.5 }),
      expect.objectContaining({ step: 1, value: 2.0 }),
      { name: 'loss', step: 1, value: 1.9, timestamp: '2026-01-01T00:00:00.000Z' },
    ]);
    expect((await getRun(run.id)).metrics).toMatchObject({ loss: { step: 1, value: 1.9 }, acc: { step: 0, value: 0.5 } });

    const bad = await logBatch(run.id, { params: { seed: 1 }, metrics: [{ name: 'loss', value: 1, step: 2 }, { name: 'loss', value: 'NaN', step: 3 }] });
    expect(bad.statusCode).toBe(400);
    const negative = await logBatch(run.id, { metrics: [{ name: 'loss', value: 1, step: -1 }] });
    expect(negative.statusCode).toBe(400);
    const tooMany = await logBatch(run.id, { metrics: Array.from({ length: 1001 }, (_, i) => ({ name: 'loss', value: i, step: 100 + i })) });
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json().error).toMatchObject({ code: 'log_batch_too_large', details: { metrics: 1001, limit: 1000 } });
    const tooManyParams = await logBatch(run.id, { params: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`p${i}`, i])) });
    expect(tooManyParams.json().error.code).toBe('log_batch_too_large');
    expect(await series(run.id, 'loss')).toHaveLength(3);
    expect((await getRun(run.id)).params).toEqual({});

    const full = await logBatch(run.id, { metrics: Array.from({ length: 1000 }, (_, i) => ({ name: 'big', value: i, step: i })) });
    expect(full.statusCode).toBe(200);
    const missing = await logBatch('run_nope', { metrics: [{ name: 'loss', value: 1 }] });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('run_not_found');
  });

  it('pages a metric series with next_cursor', async () => {
    const run = await createRun({ name: 'paging' });
    await logBatch(run.id, { metrics: Array.from({ length: 25 }, (_, i) => ({ name: 'loss', value: 100 - i, step: 24 - i })) });
    const steps: number[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: Array<{ step: number }>; next_cursor: string | null } = (
        await t.app.inject({ url: `/api/v1/runs/${run.id}/metrics?name=loss&limit=10${cursor ? `&cursor=${cursor}` : ''}`, headers: as(viewer) })
      ).json();
      steps.push(...page.items.map((p) => p.step));
      cursor = page.next_cursor;
    } while (cursor);
    expect(steps).toEqual(Array.from({ length: 25 }, (_, i) => i));
    const badCursor = await t.app.inject({ url: `/api/v1/runs/${run.id}/metrics?cursor=zzz`, headers: as(viewer) });
    expect(badCursor.json().error.code).toBe('cursor_invalid');
  });

  it('compare aligns metrics of runs with different step sets and diffs params', async () => {
    const a = await createRun({ name: 'a', params: { lr: 0.1, bs: 32, opt: 'adam' } });
    const b = await createRun({ name: 'b', params: { lr: 0.01, bs: 32 } });
    const c = await createRun({ name: 'c', params: { lr: 0.1, bs: 32, opt: 'sgd' } });
    await logBatch(a.id, { metrics: [0, 10, 20].map((step) => ({ name: 'loss', value: 3 - step / 10, step })) });
    await logBatch(b.id, { metrics: [...[0, 5, 10, 15].map((step) => ({ name: 'loss', value: 4 - step / 10, step })), { name: 'acc', value: 0.7, step: 15 }] });
    const response = await t.app.inject({ url: `/api/v1/runs/compare?ids=${a.id},${b.id},${c.id}`, headers: as(viewer) });
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json();
    expect(body.runs.map((r: { name: string }) => r.name)).toEqual(['a', 'b', 'c']);
    expect(body.metrics).toEqual([
      { name: 'acc', steps: [15], values: { [a.id]: [null], [b.id]: [0.7], [c.id]: [null] } },
      { name: 'loss', steps: [0, 5, 10, 15, 20], values: { [a.id]: [3, null, 2, null, 1], [b.id]: [4, 3.5, 3, 2.5, null], [c.id]: [null, null, null, null, null] } },
    ]);
    expect(body.params).toEqual({
      differing: [
        { key: 'lr', values: { [a.id]: '0.1', [b.id]: '0.01', [c.id]: '0.1' }, missing_in: [] },
        { key: 'opt', values: { [a.id]: 'adam', [b.id]: null, [c.id]: 'sgd' }, missing_in: [b.id] },
      ],
      same: { bs: '32' },
    });
    const only = await t.app.inject({ url: `/api/v1/runs/compare?ids=${a.id},${b.id}&names=acc`, headers: as(viewer) });
    expect(only.json().metrics.map((m: { name: string }) => m.name)).toEqual(['acc']);
    const unknown = await t.app.inject({ url: `/api/v1/runs/compare?ids=${a.id},run_missing`, headers: as(viewer) });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error).toMatchObject({ code: 'run_not_found', details: { run_ids: ['run_missing'] } });
    const twice = await t.app.inject({ url: `/api/v1/runs/compare?ids=${a.id},${a.id}`, headers: as(viewer) });
    expect(twice.json().error.code).toBe('compare_invalid');
  });

  it('lists newest first with job, tag and status filters and paging; PATCH sets status and end time', async () => {
    const job = await t.ctx.queue.enqueue({ type: 'test.tracking-list', payload: {} });
    const first = await createRun({ name: 'l1', job_id: job.id, tags: { sweep: 's1', kind: 'x' } });
    const second = await createRun({ name: 'l2', tags: { sweep: 's1' } });
    const third = await createRun({ name: 'l3', tags: { sweep: 's2' } });
    const list = async (query: string) => (await t.app.inject({ url: `/api/v1/runs?${query}`, headers: as(viewer) })).json<{ items: RunView[]; next_cursor: string | null }>();
    expect((await list(`job=${job.id}`)).items.map((r) => r.id)).toEqual([first.id]);
    expect((await list('tag=sweep=s1')).items.map((r) => r.id)).toEqual([second.id, first.id]);
    expect((await list('tag=kind')).items.map((r) => r.id)).toEqual([first.id]);

    const finished = await t.app.inject({ method: 'PATCH', url: `/api/v1/runs/${second.id}`, headers: as(editor), payload: { status: 'finished' } });
    expect(finished.json()).toMatchObject({ status: 'finished', end_time: expect.any(String) });
    await t.app.inject({ method: 'PATCH', url: `/api/v1/runs/${third.id}`, headers: as(editor), payload: { status: 'failed', end_time: '2026-02-01T10:00:00Z' } });
    expect((await list('tag=sweep&status=finished,failed')).items.map((r) => [r.id, r.status, r.end_time])).toEqual([
      [third.id, 'failed', '2026-02-01T10:00:00.000Z'],
      [second.id, 'finished', expect.any(String)],
    ]);
    const reopened = await t.app.inject({ method: 'PATCH', url: `/api/v1/runs/${third.id}`, headers: as(editor), payload: { status: 'running' } });
    expect(reopened.json()).toMatchObject({ status: 'running', end_time: null });
    expect((await list('status=nope')).items).toBeUndefined();

    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await list(`tag=sweep&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      ids.push(...page.items.map((r) => r.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(ids).toEqual([third.id, second.id, first.id]);
  });

  it('roles: viewers read, editors write; no key is 401', async () => {
    const run = await createRun({ name: 'roles' });
    const create = await t.app.inject({ method: 'POST', url: '/api/v1/runs', headers: as(viewer), payload: { name: 'x' } });
    expect(create.statusCode).toBe(403);
    expect(create.json().error.code).toBe('forbidden');
    expect((await logBatch(run.id, { metrics: [{ name: 'loss', value: 1 }] }, viewer)).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'PATCH', url: `/api/v1/runs/${run.id}`, headers: as(viewer), payload: { status: 'killed' } })).statusCode).toBe(403);
    expect((await t.app.inject({ url: `/api/v1/runs/${run.id}`, headers: as(viewer) })).statusCode).toBe(200);
    expect((await t.app.inject({ url: '/api/v1/runs' })).statusCode).toBe(401);
    expect(await series(run.id, 'loss')).toEqual([]);
  });

  it('artifacts name uploaded blobs; never overwritten; downloadable', async () => {
    const run = await createRun({ name: 'artifacts' });
    const bytes = Buffer.from('{"weights": [1, 2, 3]}');
    const upload = await t.app.inject({ method: 'POST', url: '/api/v1/uploads', headers: { ...as(editor), 'content-type': 'application/octet-stream' }, payload: bytes });
    const { sha256 } = upload.json<{ sha256: string }>();
    const logged = await t.app.inject({ method: 'POST', url: `/api/v1/runs/${run.id}/artifacts`, headers: as(editor), payload: { name: 'ckpt/model.json', sha256 } });
    expect(logged.statusCode, logged.body).toBe(200);
    expect(logged.json().artifacts).toEqual([{ name: 'ckpt/model.json', sha256, size: bytes.length, created_at: expect.any(String) }]);
    const other = await t.app.inject({ method: 'POST', url: '/api/v1/uploads', headers: { ...as(editor), 'content-type': 'application/octet-stream' }, payload: Buffer.from('other') });
    const conflict = await t.app.inject({ method: 'POST', url: `/api/v1/runs/${run.id}/artifacts`, headers: as(editor), payload: { name: 'ckpt/model.json', sha256: other.json().sha256 } });
    expect(conflict.json().error.code).toBe('artifact_conflict');
    const unknown = await t.app.inject({ method: 'POST', url: `/api/v1/runs/${run.id}/artifacts`, headers: as(editor), payload: { name: 'x', sha256: '0'.repeat(64) } });
    expect(unknown.json().error.code).toBe('blob_not_found');
    const download = await t.app.inject({ url: `/api/v1/runs/${run.id}/artifacts/ckpt/model.json`, headers: as(viewer) });
    expect(download.statusCode).toBe(200);
    expect(download.rawPayload.equals(bytes)).toBe(true);
  });

  it("a job's metric events land in the job's run (once each), and its final state ends the run", async () => {
    const job = await t.ctx.queue.enqueue({ type: 'test.tracking-job', payload: {} });
    // Events appended before the run exists are copied from the job's history when it is made.
    await t.ctx.events.append(job.id, [{ kind: 'state', state: 'running', attempt: 1 }, { kind: 'metric', name: 'loss', value: 3, step: 0 }]);
    const sink = withRunTracking(t.ctx.events, t.ctx.tracking);
    const metric = (step: number, value: number): JobEventInput => ({ kind: 'metric', name: 'loss', value, step });
    const appended = await sink.append(job.id, [metric(1, 2), { kind: 'log', level: 'info', message: 'hi' }, metric(2, 1)]);
    // A second report of the same events (a retried flush) copies nothing twice.
    await t.ctx.tracking.onJobEventsAppended(job.id, appended);
    const runs = (await t.app.inject({ url: `/api/v1/runs?job=${job.id}`, headers: as(viewer) })).json<{ items: RunView[] }>().items;
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ job_id: job.id, status: 'running', tags: { 'crucible.job_type': 'test.tracking-job' }, metrics: { loss: { step: 2, value: 1 } } });
    expect((await series(runs[0]!.id, 'loss')).map((p) => [p.step, p.value])).toEqual([[0, 3], [1, 2], [2, 1]]);

    await sink.append(job.id, [{ kind: 'state', state: 'succeeded' }]);
    expect(await getRun(runs[0]!.id)).toMatchObject({ status: 'finished', end_time: expect.any(String) });
    expect((await t.ctx.tracking.ensureRunForJob(job.id)).id).toBe(runs[0]!.id);

    // A job that never reports a metric gets no run.
    const quiet = await t.ctx.queue.enqueue({ type: 'test.tracking-job', payload: {} });
    await sink.append(quiet.id, [{ kind: 'state', state: 'running', attempt: 1 }, { kind: 'state', state: 'failed' }]);
    expect((await t.app.inject({ url: `/api/v1/runs?job=${quiet.id}`, headers: as(viewer) })).json().items).toEqual([]);
  });

  it('concurrent log-batches into one run keep every point, numbered without gaps', async () => {
    const run = await createRun({ name: 'concurrent' });
    await Promise.all(Array.from({ length: 8 }, (_, w) => logBatch(run.id, { metrics: Array.from({ length: 50 }, (_, i) => ({ name: `w${w}`, value: i, step: i })) })));
    const all = (await t.app.inject({ url: `/api/v1/runs/${run.id}/metrics?limit=10000`, headers: as(viewer) })).json().items;
    expect(all).toHaveLength(400);
  });
}

describe('tracking API on SQLite', () => describeTrackingApi('sqlite'));
describeWithPostgres('tracking API on PostgreSQL', () => describeTrackingApi('postgres'));
