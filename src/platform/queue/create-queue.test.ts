import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { openSqlite } from '../db/sqlite.js';
import { createQueue } from './create-queue.js';

describe('createQueue', () => {
  it('is the embedded queue by default, with the configured lease', async () => {
    const config = loadConfig({ env: { CRUCIBLE_QUEUE_LEASE_MS: '5000' }, cwd: '/' });
    const database = await openSqlite(':memory:');
    try {
      const queue = await createQueue(config.queue, { database });
      expect(queue.driver).toBe('embedded');
      expect(queue.leaseMs).toBe(5_000);
    } finally {
      await database.close();
    }
  });

  it('refuses the bullmq driver without a usable URL, saying what to set', async () => {
    const database = await openSqlite(':memory:');
    try {
      const noUrl = loadConfig({ env: { CRUCIBLE_QUEUE_DRIVER: 'bullmq' }, cwd: '/' });
      await expect(createQueue(noUrl.queue, { database })).rejects.toMatchObject({ code: 'queue_url_required' });
      const badUrl = loadConfig({ env: { CRUCIBLE_QUEUE_DRIVER: 'bullmq', CRUCIBLE_QUEUE_URL: 'mysql://u:secret@h/db' }, cwd: '/' });
      let caught: unknown;
      try {
        await createQueue(badUrl.queue, { database });
      } catch (err) {
        caught = err;
      }
      expect(caught).toMatchObject({ code: 'queue_url_unsupported' });
      expect((caught as Error).message).not.toContain('secret');
    } finally {
      await database.close();
    }
  });
});

describe('createQueue and the embedded default', () => {
  it('never loads bullmq or ioredis (about 1.4 s of start-up)', () => {
    // A resolve hook in a fresh process reports every package module it loads.
    const hook = `data:text/javascript,${encodeURIComponent(
      "import { register } from 'node:module'; register('data:text/javascript,' + encodeURIComponent('export async function resolve(s, c, n) { const r = await n(s, c); const m = /node_modules\\\\/(bullmq|ioredis)\\\\//.exec(r.url); if (m) process.stderr.write(\"LOADED \" + m[1] + \"\\\\n\"); return r; }'));",
    )}`;
    const here = path.dirname(fileURLToPath(import.meta.url));
    const script = `
      const { loadConfig } = await import(${JSON.stringify(path.join(here, '../config.ts'))});
      const { openSqlite } = await import(${JSON.stringify(path.join(here, '../db/sqlite.ts'))});
      const { createQueue } = await import(${JSON.stringify(path.join(here, 'index.ts'))});
      const database = await openSqlite(':memory:');
      const queue = await createQueue(loadConfig({ env: {}, cwd: '/' }).queue, { database });
      process.stdout.write(queue.driver);
      await database.close();`;
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--import', hook, '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(result.stdout).toBe('embedded');
    expect(result.stderr).not.toContain('LOADED');
  });
});
