import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { openSqlite } from '../db/sqlite.js';
import { createQueue } from './create-queue.js';

describe('createQueue', () => {
  it('is the embedded queue by default, with the configured lease', async () => {
    const config = loadConfig({ env: { CRUCIBLE_QUEUE_LEASE_MS: '5000' }, cwd: '/' });
    const database = await openSqlite(':memory:');
    try {
      const queue = createQueue(config.queue, { database });
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
      expect(() => createQueue(noUrl.queue, { database })).toThrow(expect.objectContaining({ code: 'queue_url_required' }));
      const badUrl = loadConfig({ env: { CRUCIBLE_QUEUE_DRIVER: 'bullmq', CRUCIBLE_QUEUE_URL: 'mysql://u:secret@h/db' }, cwd: '/' });
      let caught: unknown;
      try {
        createQueue(badUrl.queue, { database });
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
