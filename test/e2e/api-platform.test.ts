import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, type TestApp } from '../support/test-app.js';

describe('API platform endpoints', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t?.close());

  it('serves liveness and readiness with every check', async () => {
    const live = await t.app.inject({ method: 'GET', url: '/healthz' });
    expect(live.statusCode).toBe(200);
    expect(live.json()).toMatchObject({ status: 'ok' });
    const ready = await t.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json().status).toBe('ready');
    expect(Object.keys(ready.json().checks).sort()).toEqual(['blobs', 'db', 'queue']);
  });

  it('reports 503 from /readyz when a dependency fails', async () => {
    const original = t.ctx.readiness.blobs!;
    t.ctx.readiness.blobs = async () => {
      throw new Error('disk gone');
    };
    try {
      const ready = await t.app.inject({ method: 'GET', url: '/readyz' });
      expect(ready.statusCode).toBe(503);
      expect(ready.json().checks.blobs).toMatchObject({ ok: false, error: 'disk gone' });
      expect(ready.json().checks.db.ok).toBe(true);
    } finally {
      t.ctx.readiness.blobs = original;
    }
  });

  it('describes the API in OpenAPI and serves browsable docs', async () => {
    const spec = await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    expect(spec.statusCode).toBe(200);
    const doc = spec.json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/keys', '/api/v1/keys/{id}', '/api/v1/me', '/healthz', '/readyz']));
    expect(doc.paths['/api/v1/keys'].post.requestBody).toBeDefined();
    const docs = await t.app.inject({ method: 'GET', url: '/api/docs/' });
    expect(docs.statusCode).toBe(200);
    expect(docs.headers['content-type']).toContain('text/html');
  });

  it('counts requests by route and status in /metrics', async () => {
    await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(t.adminKey) });
    await t.app.inject({ method: 'GET', url: '/api/v1/me' });
    const metrics = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.body).toMatch(/http_requests_total\{method="GET",route="\/api\/v1\/me",status="200"\} [1-9]/);
    expect(metrics.body).toMatch(/http_requests_total\{method="GET",route="\/api\/v1\/me",status="401"\} [1-9]/);
    expect(metrics.body).toContain('http_request_duration_seconds_bucket');
  });

  it('puts the request id on every log line of a request and in the response', async () => {
    // A refused request writes two lines: the refusal (from the error handler) and the access line.
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { 'x-request-id': 'trace-abc-123' } });
    expect(res.statusCode).toBe(401);
    expect(res.headers['x-request-id']).toBe('trace-abc-123');
    const lines = t.logs.filter((line) => line.reqId === 'trace-abc-123');
    expect(lines.map((line) => line.msg)).toEqual(['request refused', 'request']);
    const accessLines = t.logs.filter((line) => line.msg === 'request');
    expect(accessLines.length).toBeGreaterThan(0);
    expect(accessLines.every((line) => typeof line.reqId === 'string')).toBe(true);
    const generated = await t.app.inject({ method: 'GET', url: '/healthz' });
    expect(generated.headers['x-request-id']).toMatch(/^req_/);
    expect(JSON.stringify(t.logs)).not.toContain(t.adminKey);
  });

  it('serves a home page with the version, health and links to the docs', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Crucible');
    expect(res.body).toContain('/api/docs');
    expect(res.body).toContain('ready');
  });

  it('has CORS off by default and 404s unknown routes in the error format', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/healthz', headers: { origin: 'https://evil.example' } });
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    const missing = await t.app.inject({ method: 'GET', url: '/nope' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('route_not_found');
  });
});

describe('CORS when configured', () => {
  it('allows only the configured origins', async () => {
    const t = await createTestApp({ config: { server: { corsOrigins: ['https://ui.example'] } } });
    try {
      const ok = await t.app.inject({ method: 'GET', url: '/healthz', headers: { origin: 'https://ui.example' } });
      expect(ok.headers['access-control-allow-origin']).toBe('https://ui.example');
      const other = await t.app.inject({ method: 'GET', url: '/healthz', headers: { origin: 'https://evil.example' } });
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await t.close();
    }
  });
});
