/**
 * /api/v1/datasets over app.inject on SQLite and PostgreSQL: add (same content → the version, new
 * content → a dataset.ingest job), versions, report in the INTERFACES.md shape, preview, sandboxed
 * query, download, diff, delete refused while a derived version depends on it, roles.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, type TestApp } from '../support/test-app.js';
import { testPostgresUrl } from '../support/team-services.js';

const dialects: Array<'sqlite' | 'postgres'> = ['sqlite', ...(testPostgresUrl ? ['postgres' as const] : [])];

for (const dialect of dialects) {
  describe(`datasets API (${dialect})`, () => {
    let t: TestApp;
    let dir: string;
    let viewerKey: string;
    const auth = () => bearer(t.adminKey);

    beforeAll(async () => {
      t = await createTestApp({ dialect });
      dir = mkdtempSync(path.join(tmpdir(), 'crucible-dsapi-'));
      const src = path.join(dir, 'corpus.jsonl');
      writeFileSync(src, Array.from({ length: 100 }, (_, i) => JSON.stringify({ id: i, text: `line ${i} of the corpus`, split: i % 4 ? 'train' : 'test' })).join('\n') + '\n');
      await t.ctx.datasets.ingest({ name: 'corpus', source: { file: src, label: 'corpus.jsonl' }, options: { textField: 'text', skipBadLines: false, validation: {} }, createdBy: null });
      writeFileSync(src, Array.from({ length: 110 }, (_, i) => JSON.stringify({ id: i, text: `line ${i} of the corpus${i === 3 ? ' (edited)' : ''}`, split: i % 4 ? 'train' : 'test' })).join('\n') + '\n');
      await t.ctx.datasets.ingest({ name: 'corpus', source: { file: src, label: 'corpus.jsonl' }, options: { textField: 'text', skipBadLines: false, validation: {} }, createdBy: null });
      const viewer = await t.app.inject({ method: 'POST', url: '/api/v1/keys', headers: auth(), payload: { name: 'v', role: 'viewer' } });
      viewerKey = viewer.json().key;
    });
    afterAll(async () => {
      await t?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('lists datasets and versions, and resolves name, name@N and latest', async () => {
      const list = await t.app.inject({ method: 'GET', url: '/api/v1/datasets', headers: auth() });
      expect(list.json()).toEqual({ items: [expect.objectContaining({ name: 'corpus', latest_version: 2, versions: 2 })], next_cursor: null });
      const versions = await t.app.inject({ method: 'GET', url: '/api/v1/datasets/corpus/versions?limit=1', headers: auth() });
      expect(versions.json().items.map((v: { ref: string }) => v.ref)).toEqual(['corpus@2']);
      expect(versions.json().next_cursor).toBe('2');
      const latest = await t.app.inject({ method: 'GET', url: '/api/v1/datasets/corpus', headers: auth() });
      expect(latest.json()).toMatchObject({ ref: 'corpus@2', records: 110, format: 'jsonl' });
      const v1 = await t.app.inject({ method: 'GET', url: '/api/v1/datasets/corpus/versions/1', headers: auth() });
      expect(v1.json()).toMatchObject({ ref: 'corpus@1', records: 100 });
      const missing = await t.app.inject({ method: 'GET', url: '/api/v1/datasets/corpus/versions/9', headers: auth() });
      expect(missing.statusCode).toBe(404);
      expect(missing.json().error.code).toBe('dataset_version_not_found');
      const none = await t.app.inject({ method: 'GET', url: '/api/v1/datasets/nope', headers: auth() });
      expect(none.json().error.code).toBe('dataset_not_found');
    });

    it('returns the report in exactly the INTERFACES.md shape', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/api/v1/datasets/corpus/versions/1/report', headers: bearer(viewerKey) });
      expect(res.statusCode).toBe(200);
      const report = res.json();
      expect(Object.keys(report).sort()).toEqual(['dataset', 'findings', 'profile', 'records', 'version']);
      expect(report).toMatchObject({ dataset: 'corpus', version: 1, records: 100 });
      expect(report.profile).toMatchObject({ rows: 100, columns: expect.any(Array), text: expect.objectContaining({ field: 'text' }) });
      for (const f of report.findings) expect(Object.keys(f).sort()).toEqual(['count', 'examples', 'fix', 'message', 'rule', 'severity']);
    });

    it('previews with limit and offset', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/api/v1/datasets/corpus/versions/1/preview?limit=3&offset=10', headers: auth() });
      expect(res.json()).toMatchObject({ offset: 10, total: 100, truncated: true });
      expect(res.json().rows.map((r: { id: unknown }) => Number(r.id))).toEqual([10, 11, 12]);
    });

    it('queries with one SELECT over "data", and refuses everything else', async () => {
      const ok = await t.app.inject({ method: 'POST', url: '/api/v1/datasets/corpus/versions/2/query', headers: bearer(viewerKey), payload: { sql: 'SELECT split, count(*) AS n FROM data GROUP BY split ORDER BY split' } });
      expect(ok.statusCode).toBe(200);
      expect(ok.json().rows).toEqual([{ split: 'test', n: '28' }, { split: 'train', n: '82' }]);
      const limited = await t.app.inject({ method: 'POST', url: '/api/v1/datasets/corpus/versions/2/query', headers: auth(), payload: { sql: 'SELECT * FROM data', limit: 5 } });
      expect(limited.json()).toMatchObject({ truncated: true });
      expect(limited.json().rows).toHaveLength(5);
      const refused: Array<[string, string]> = [
        ['DROP VIEW data', 'dataset_query_not_select'],
        ['SELECT 1; SELECT 2', 'dataset_query_not_select'],
        ["COPY data TO '/tmp/x.csv'", 'dataset_query_not_select'],
        ["SELECT * FROM read_csv('/etc/passwd')", 'dataset_query_failed'],
        ["SELECT * FROM read_text('/etc/hostname')", 'dataset_query_failed'],
        ['SET enable_external_access = true', 'dataset_query_not_select'],
        ['SELEC 1', 'dataset_query_invalid'],
      ];
      for (const [sql, code] of refused) {
        const res = await t.app.inject({ method: 'POST', url: '/api/v1/datasets/corpus/versions/2/query', headers: auth(), payload: { sql } });
        expect(res.statusCode, sql).toBe(400);
        expect(res.json().error.code, sql).toBe(code);
      }
      const slow = await t.app.inject({ method: 'POST', url: '/api/v1/datasets/corpus/versions/2/query', headers: auth(), payload: { sql: 'SELECT count(*) FROM range(10000000000) a, data', timeout_ms: 200 } });
      expect(slow.json().error.code).toBe('dataset_query_timeout');
    });

    it('exports JSONL and Parquet', async () => {
      const jsonl = await t.app.inject({ method: 'GET', url: '/api/v1/datasets/corpus/versions/1/download?format=jsonl', headers: auth() });
      expect(jsonl.headers['content-disposition']).toContain('corpus-v1.jsonl');
      const lines = jsonl.body.trim().split('\n');
      expect(lines).toHaveLength(100);
      expect(JSON.parse(lines[0]!)).toMatchObject({ text: 'line 0 of the corpus', split: 'test' });
      const parquet = await t.app.inject({ method: 'GET', url: '/api/v1/datasets/corpus/versions/1/download?format=parquet', headers: auth() });
      expect(parquet.rawPayload.subarray(0, 4).toString()).toBe('PAR1');
    });

    it('diffs two versions by row hash', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/api/v1/datasets/corpus/versions/1/diff?to=corpus@2', headers: auth() });
      expect(res.json()).toMatchObject({ from: 'corpus@1', to: 'corpus@2', added: 11, removed: 1, unchanged: 99, changed: null });
      const keyed = await t.app.inject({ method: 'GET', url: '/api/v1/datasets/corpus/versions/1/diff?to=corpus@2&key=id', headers: auth() });
      expect(keyed.json()).toMatchObject({ added: 10, removed: 0, changed: 1 });
    });

    it('adds: an unknown upload is refused, the same content answers with the version, new content becomes a job', async () => {
      const unknown = await t.app.inject({ method: 'POST', url: '/api/v1/datasets', headers: auth(), payload: { name: 'x', upload: 'a'.repeat(64), filename: 'x.jsonl' } });
      expect(unknown.json().error.code).toBe('upload_not_found');
      const body = Array.from({ length: 100 }, (_, i) => JSON.stringify({ id: i, text: `line ${i} of the corpus`, split: i % 4 ? 'train' : 'test' })).join('\n') + '\n';
      const upload = await t.app.inject({ method: 'POST', url: '/api/v1/uploads', headers: { ...auth(), 'content-type': 'application/octet-stream' }, payload: Buffer.from(body) });
      const same = await t.app.inject({ method: 'POST', url: '/api/v1/datasets', headers: auth(), payload: { name: 'corpus', upload: upload.json().sha256, filename: 'corpus.jsonl' } });
      expect(same.statusCode).toBe(200);
      expect(same.json()).toMatchObject({ version: { ref: 'corpus@1' }, job: null });
      const fresh = await t.app.inject({ method: 'POST', url: '/api/v1/datasets', headers: auth(), payload: { name: 'other', upload: upload.json().sha256, filename: 'corpus.jsonl' } });
      expect(fresh.statusCode).toBe(202);
      const job = await t.app.inject({ method: 'GET', url: `/api/v1/jobs/${fresh.json().job.id}`, headers: auth() });
      expect(job.json()).toMatchObject({ type: 'dataset.ingest', state: 'queued' });
      const byViewer = await t.app.inject({ method: 'POST', url: '/api/v1/datasets', headers: bearer(viewerKey), payload: { name: 'v', upload: upload.json().sha256, filename: 'c.jsonl' } });
      expect(byViewer.statusCode).toBe(403);
      const pathByEditor = await t.app.inject({ method: 'POST', url: '/api/v1/keys', headers: auth(), payload: { name: 'e', role: 'editor' } });
      const editorPath = await t.app.inject({ method: 'POST', url: '/api/v1/datasets', headers: bearer(pathByEditor.json().key), payload: { name: 'p', path: '/etc/hostname', format: 'text' } });
      expect(editorPath.statusCode).toBe(403);
      const rawJob = await t.app.inject({ method: 'POST', url: '/api/v1/jobs', headers: bearer(pathByEditor.json().key), payload: { type: 'dataset.ingest', payload: { name: 'p', path: '/etc/hostname', filename: 'h', format: 'text' } } });
      expect(rawJob.statusCode).toBe(403);
    });

    it('deletes only an explicit version, and refuses while a derived version depends on it', async () => {
      const implicit = await t.app.inject({ method: 'DELETE', url: '/api/v1/datasets/corpus/versions/latest', headers: auth() });
      expect(implicit.json().error.code).toBe('dataset_delete_needs_version');
      const v1 = await t.app.inject({ method: 'GET', url: '/api/v1/datasets/corpus/versions/1', headers: auth() });
      await t.ctx.database.db.updateTable('dataset_versions').set({ parent_version_id: v1.json().id }).where('version', '=', 2).execute();
      const refused = await t.app.inject({ method: 'DELETE', url: '/api/v1/datasets/corpus/versions/1', headers: auth() });
      expect(refused.statusCode).toBe(409);
      expect(refused.json().error).toMatchObject({ code: 'dataset_version_in_use', details: { dependents: ['corpus@2'] } });
      expect(refused.json().error.message).toContain('corpus@2 depends on it');
      const byViewer = await t.app.inject({ method: 'DELETE', url: '/api/v1/datasets/corpus/versions/2', headers: bearer(viewerKey) });
      expect(byViewer.statusCode).toBe(403);
      const v2 = await t.app.inject({ method: 'DELETE', url: '/api/v1/datasets/corpus/versions/2', headers: auth() });
      expect(v2.statusCode).toBe(200);
      const gone = await t.app.inject({ method: 'GET', url: '/api/v1/datasets/corpus/versions/2', headers: auth() });
      expect(gone.statusCode).toBe(404);
      expect((await t.app.inject({ method: 'DELETE', url: '/api/v1/datasets/corpus/versions/1', headers: auth() })).statusCode).toBe(200);
    });
  });
}
