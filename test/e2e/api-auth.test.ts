import { statSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithPostgres } from '../support/team-services.js';
import { bearer, createTestApp, type TestApp } from '../support/test-app.js';

/** The API's auth, errors and audit trail, run on each database adapter. */
function describeApiAuth(dialect: 'sqlite' | 'postgres') {
  let t: TestApp;
  let editorKey: string;
  let viewerKey: string;

  beforeAll(async () => {
    t = await createTestApp({ dialect });
    const make = async (name: string, role: string) => {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/keys', headers: bearer(t.adminKey), payload: { name, role } });
      expect(res.statusCode).toBe(201);
      return res.json().key as string;
    };
    editorKey = await make('editor-1', 'editor');
    viewerKey = await make('viewer-1', 'viewer');
  });
  afterAll(async () => t?.close());

  it('writes the first admin key to $CRUCIBLE_HOME/admin.key with mode 0600', () => {
    const file = path.join(t.config.home, 'admin.key');
    expect(existsSync(file)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8').trim()).toBe(t.adminKey);
  });

  it('answers /api/v1/me for every role', async () => {
    for (const [key, role] of [[t.adminKey, 'admin'], [editorKey, 'editor'], [viewerKey, 'viewer']] as const) {
      const res = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(key) });
      expect(res.statusCode).toBe(200);
      expect(res.json().role).toBe(role);
    }
  });

  it('refuses a request with no key: 401 with a code and a message', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/me' });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('unauthenticated');
    expect(res.json().error.message).toMatch(/Bearer/);
  });

  it('gives the same 401 for a malformed, an unknown and a revoked key, revealing nothing', async () => {
    const created = await t.app.inject({ method: 'POST', url: '/api/v1/keys', headers: bearer(t.adminKey), payload: { name: 'doomed', role: 'editor' } });
    const doomed = created.json();
    const revoked = await t.app.inject({ method: 'DELETE', url: `/api/v1/keys/${doomed.id}`, headers: bearer(t.adminKey) });
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json().revoked_at).not.toBeNull();

    const unknown = `crk_${'A'.repeat(43)}`;
    const bodies = [];
    for (const key of ['not-a-key', unknown, doomed.key as string]) {
      const res = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(key) });
      expect(res.statusCode).toBe(401);
      bodies.push(res.json().error);
    }
    expect(bodies[1]).toEqual(bodies[2]); // unknown and revoked are indistinguishable
    expect(bodies[0].message).toBe(bodies[1].message);
    const wrongScheme = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Basic ${editorKey}` } });
    expect(wrongScheme.statusCode).toBe(401);
  });

  it('refuses a wrong role with 403, enforced by the service', async () => {
    const byViewer = await t.app.inject({ method: 'POST', url: '/api/v1/keys', headers: bearer(viewerKey), payload: { name: 'x', role: 'admin' } });
    expect(byViewer.statusCode).toBe(403);
    expect(byViewer.json().error.code).toBe('forbidden');
    expect(byViewer.json().error.message).toMatch(/admin role/);
    const byEditor = await t.app.inject({ method: 'GET', url: '/api/v1/keys', headers: bearer(editorKey) });
    expect(byEditor.statusCode).toBe(403);
    // The same rule holds with no HTTP in between: the service itself refuses.
    const editor = await t.ctx.keys.authenticate(editorKey);
    await expect(t.ctx.keys.create(editor, { name: 'y', role: 'viewer' })).rejects.toMatchObject({ code: 'forbidden' });
  });

  it('answers malformed JSON with 400 {error:{code,message}}', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/keys',
      headers: { ...bearer(t.adminKey), 'content-type': 'application/json' },
      payload: '{"name": "broken",',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('invalid_json');
    expect(typeof res.json().error.message).toBe('string');
  });

  it('answers a schema violation with 400 naming the field', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/keys', headers: bearer(t.adminKey), payload: { name: 'x', role: 'superuser' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('invalid_request');
    expect(res.json().error.message).toContain('role');
  });

  it('answers an oversized body with 413 and creates nothing', async () => {
    const before = (await t.app.inject({ method: 'GET', url: '/api/v1/keys?limit=1000', headers: bearer(t.adminKey) })).json().items.length;
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/keys',
      headers: bearer(t.adminKey),
      payload: { name: 'big', role: 'viewer', padding: 'x'.repeat(t.config.server.bodyLimitBytes + 10) },
    });
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('body_too_large');
    const after = (await t.app.inject({ method: 'GET', url: '/api/v1/keys?limit=1000', headers: bearer(t.adminKey) })).json().items.length;
    expect(after).toBe(before);
  });

  it('refuses to revoke the last admin key, and 404s an unknown key id', async () => {
    const me = (await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(t.adminKey) })).json();
    const res = await t.app.inject({ method: 'DELETE', url: `/api/v1/keys/${me.id}`, headers: bearer(t.adminKey) });
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe('last_admin_key');
    const missing = await t.app.inject({ method: 'DELETE', url: '/api/v1/keys/key_nope', headers: bearer(t.adminKey) });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('key_not_found');
  });

  it('lists keys with cursors and never shows a secret', async () => {
    const first = await t.app.inject({ method: 'GET', url: '/api/v1/keys?limit=2', headers: bearer(t.adminKey) });
    const page = first.json();
    expect(page.items).toHaveLength(2);
    expect(page.next_cursor).toBeTruthy();
    const second = (await t.app.inject({ method: 'GET', url: `/api/v1/keys?limit=2&cursor=${page.next_cursor}`, headers: bearer(t.adminKey) })).json();
    expect(second.items[0].id > page.items[1].id).toBe(true);
    expect(first.body).not.toContain(editorKey);
    for (const item of [...page.items, ...second.items]) expect(item).not.toHaveProperty('key');
  });

  it('audits every state-changing call, refused ones included', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/audit?limit=1000', headers: bearer(t.adminKey) });
    expect(res.statusCode).toBe(200);
    const entries = res.json().items as Array<{ action: string; outcome: string; actor_name: string | null; status: number; request_id: string }>;
    const creates = entries.filter((e) => e.action === 'keys.create');
    expect(creates.some((e) => e.outcome === 'success' && e.actor_name === 'admin')).toBe(true);
    expect(creates.some((e) => e.outcome === 'denied' && e.actor_name === 'viewer-1' && e.status === 403)).toBe(true);
    expect(creates.some((e) => e.outcome === 'failed' && e.status === 400)).toBe(true);
    expect(entries.some((e) => e.action === 'keys.revoke' && e.outcome === 'success')).toBe(true);
    expect(entries.some((e) => e.action === 'keys.revoke' && e.outcome === 'failed' && e.status === 409)).toBe(true);
    expect(entries.every((e) => typeof e.request_id === 'string')).toBe(true);
    const readsAudited = entries.filter((e) => e.action.startsWith('GET'));
    expect(readsAudited).toHaveLength(0);
    const byViewer = await t.app.inject({ method: 'GET', url: '/api/v1/audit', headers: bearer(viewerKey) });
    expect(byViewer.statusCode).toBe(403);
  });
}

describe('API auth on SQLite', () => describeApiAuth('sqlite'));
describeWithPostgres('API auth on PostgreSQL', () => describeApiAuth('postgres'));
