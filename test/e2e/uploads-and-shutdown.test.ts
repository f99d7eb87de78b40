import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/app/server.js';
import { SYSTEM_ACTOR } from '../../src/auth/index.js';
import { loadConfig } from '../../src/platform/config.js';
import { createLogger } from '../../src/platform/logger.js';

const LIMIT = 8 * 1024 * 1024;

async function start(home: string): Promise<RunningServer> {
  const config = loadConfig({ env: {}, cwd: home, overrides: { home, server: { port: 0, uploadLimitBytes: LIMIT, shutdownGraceMs: 10_000 }, log: { level: 'silent' } } });
  return startServer(config, { logger: createLogger(config) });
}

/** POSTs `chunks` one by one, calling `between(i)` after each; resolves with status and JSON body. */
function upload(url: string, key: string | undefined, chunks: Buffer[], options: { headers?: Record<string, string>; between?: (i: number) => Promise<void> } = {}) {
  return new Promise<{ status: number; body: { sha256?: string; size?: number; error?: { code: string } } }>((resolve, reject) => {
    const request = http.request(`${url}/api/v1/uploads`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', ...(key ? { authorization: `Bearer ${key}` } : {}), ...options.headers },
    });
    request.on('response', (response) => {
      let text = '';
      response.on('data', (d) => (text += d));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text ? JSON.parse(text) : {} }));
    });
    request.on('error', reject);
    (async () => {
      for (let i = 0; i < chunks.length; i++) {
        if (!request.write(chunks[i])) await new Promise((r) => request.once('drain', r));
        await options.between?.(i);
      }
      request.end();
    })().catch((err) => {
      request.destroy();
      reject(err);
    });
  });
}

function chunked(total: number, size = 256 * 1024): Buffer[] {
  const data = randomBytes(total);
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < total; offset += size) chunks.push(data.subarray(offset, offset + size));
  return chunks;
}

const sha = (chunks: Buffer[]) => createHash('sha256').update(Buffer.concat(chunks)).digest('hex');

describe('streaming uploads', () => {
  let home: string;
  let server: RunningServer;
  let editor: string;
  let viewer: string;
  const tmpFiles = () => readdirSync(path.join(home, 'blobs', 'tmp'));

  beforeAll(async () => {
    home = mkdtempSync(path.join(tmpdir(), 'crucible-upload-'));
    server = await start(home);
    editor = (await server.ctx.keys.create(SYSTEM_ACTOR, { name: 'ed', role: 'editor' })).key;
    viewer = (await server.ctx.keys.create(SYSTEM_ACTOR, { name: 'vi', role: 'viewer' })).key;
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it('streams a file into the blob store and returns its sha256 and size', async () => {
    const chunks = chunked(6 * 1024 * 1024);
    const res = await upload(server.url, editor, chunks);
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ sha256: sha(chunks), size: 6 * 1024 * 1024 });
    expect(await server.ctx.blobs.has(sha(chunks))).toBe(true);
    const again = await upload(server.url, editor, chunks, { headers: { 'x-content-sha256': sha(chunks) } });
    expect(again.body.sha256).toBe(sha(chunks)); // same content, same ref
  });

  it('refuses uploads without a key (401) and from viewers (403)', async () => {
    const chunks = chunked(64 * 1024);
    expect((await upload(server.url, undefined, chunks)).status).toBe(401);
    const denied = await upload(server.url, viewer, chunks);
    expect(denied.status).toBe(403);
    expect(await server.ctx.blobs.has(sha(chunks))).toBe(false);
  });

  it('refuses an upload over the limit with 413, declared or streamed, and keeps nothing', async () => {
    const chunks = chunked(LIMIT + 512 * 1024);
    const declared = await upload(server.url, editor, chunks, { headers: { 'content-length': String(LIMIT + 512 * 1024) } });
    expect(declared.status).toBe(413);
    expect(declared.body.error?.code).toBe('upload_too_large');
    const streamed = await upload(server.url, editor, chunks); // chunked encoding: no length known up front
    expect(streamed.status).toBe(413);
    expect(await server.ctx.blobs.has(sha(chunks))).toBe(false);
    expect(tmpFiles()).toEqual([]);
  });

  it('refuses bytes that do not match x-content-sha256 and keeps nothing', async () => {
    const chunks = chunked(300 * 1024);
    const res = await upload(server.url, editor, chunks, { headers: { 'x-content-sha256': 'a'.repeat(64) } });
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe('blob_checksum_mismatch');
    expect(await server.ctx.blobs.has(sha(chunks))).toBe(false);
  });

  it('keeps nothing when the client disconnects halfway', async () => {
    const chunks = chunked(2 * 1024 * 1024);
    await new Promise<void>((resolve) => {
      const request = http.request(`${server.url}/api/v1/uploads`, {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream', authorization: `Bearer ${editor}` },
      });
      request.on('error', () => resolve());
      request.write(Buffer.concat(chunks.slice(0, 4)), () => setTimeout(() => request.destroy(), 100));
      request.on('close', () => resolve());
    });
    for (let i = 0; i < 50 && tmpFiles().length > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(tmpFiles()).toEqual([]);
    expect(await server.ctx.blobs.has(sha(chunks))).toBe(false);
  });
});

describe('graceful shutdown', () => {
  it('stops accepting, lets an in-flight upload finish, then closes the database', async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'crucible-drain-'));
    const server = await start(home);
    try {
      const key = (await server.ctx.keys.create(SYSTEM_ACTOR, { name: 'ed', role: 'editor' })).key;
      const chunks = chunked(1024 * 1024, 128 * 1024);
      let stopped: Promise<void> | undefined;
      const inFlight = upload(server.url, key, chunks, {
        between: async (i) => {
          if (i !== 2) return;
          // Stop only once the server is demonstrably mid-upload (its temp file exists).
          const tmp = path.join(home, 'blobs', 'tmp');
          const writing = () => existsSync(tmp) && readdirSync(tmp).length > 0;
          for (let n = 0; n < 200 && !writing(); n++) await new Promise((r) => setTimeout(r, 25));
          expect(readdirSync(tmp).length).toBe(1);
          stopped = server.stop(); // SIGTERM does exactly this
          await new Promise((r) => setTimeout(r, 200));
          // New connections are refused while the in-flight request drains.
          await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
        },
      });
      const res = await inFlight;
      expect(res.status).toBe(201);
      expect(res.body.sha256).toBe(sha(chunks));
      await stopped;
      await expect(server.ctx.database.ping()).rejects.toMatchObject({ code: 'db_unavailable' });
    } finally {
      await server.stop();
      rmSync(home, { recursive: true, force: true });
    }
  });
});
