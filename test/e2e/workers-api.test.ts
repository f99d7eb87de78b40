import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startServer } from '../../src/app/server.js';
import { SYSTEM_ACTOR } from '../../src/auth/index.js';
import { WorkerRegistry } from '../../src/jobs/index.js';
import { loadConfig } from '../../src/platform/config.js';
import { createLogger } from '../../src/platform/logger.js';

describe('GET /api/v1/workers', () => {
  it('lists the in-process worker with its resources, and marks it stopped on shutdown', async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'crucible-workers-'));
    const config = loadConfig({
      env: {},
      cwd: home,
      overrides: { home, server: { port: 0 }, log: { level: 'silent' }, worker: { concurrency: 1, cpu: 2, memoryMb: 2048, gpus: 0 } },
    });
    const server = await startServer(config, { logger: createLogger(config) });
    try {
      const viewer = (await server.ctx.keys.create(SYSTEM_ACTOR, { name: 'v', role: 'viewer' })).key;
      const list = async (query = '') => {
        const res = await fetch(`${server.url}/api/v1/workers${query}`, { headers: { authorization: `Bearer ${viewer}` } });
        expect(res.status).toBe(200);
        return ((await res.json()) as { items: unknown }).items as Array<{ id: string; state: string; resources: unknown; types: string[]; running: unknown[] }>;
      };
      let items = await list();
      for (let i = 0; i < 50 && items.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        items = await list();
      }
      expect(items).toHaveLength(1);
      expect(items[0]).toMatchObject({ id: server.workers!.id, state: 'active', resources: { cpu: 2, memoryMb: 2048, gpus: 0 }, running: [] });
      expect(items[0]!.types).toEqual(expect.arrayContaining(['command', 'noop']));
      const unauthenticated = await fetch(`${server.url}/api/v1/workers`);
      expect(unauthenticated.status).toBe(401);

      await server.workers!.stop(1000);
      expect(await list()).toHaveLength(0);
      const all = await list('?include_stopped=true');
      expect(all[0]).toMatchObject({ id: server.workers!.id, state: 'stopped' });
    } finally {
      await server.stop();
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('reports a worker that stopped heartbeating as lost', async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'crucible-workers-'));
    const config = loadConfig({ env: {}, cwd: home, overrides: { home, server: { port: 0 }, log: { level: 'silent' }, worker: { concurrency: 0 } } });
    const server = await startServer(config, { logger: createLogger(config) });
    try {
      const registry = new WorkerRegistry(server.ctx.database, 50);
      await registry.register({ id: 'w-1', host: 'gpu-box', pid: 1, resources: { cpu: 8, memoryMb: 1000, gpus: 2 }, types: ['train'], concurrency: 1, running: [] });
      expect((await registry.list(SYSTEM_ACTOR))[0]!.state).toBe('active');
      await new Promise((r) => setTimeout(r, 120));
      expect((await registry.list(SYSTEM_ACTOR))[0]!.state).toBe('lost');
      await registry.heartbeat('w-1', [{ jobId: 'job_1', type: 'train', attempt: 1 }]);
      expect((await registry.list(SYSTEM_ACTOR))[0]).toMatchObject({ state: 'active', running: [{ jobId: 'job_1' }] });
    } finally {
      await server.stop();
      rmSync(home, { recursive: true, force: true });
    }
  });
});
