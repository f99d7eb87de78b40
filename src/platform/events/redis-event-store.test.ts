import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { describeWithRedis, testRedisUrl } from '../../../test/support/team-services.js';
import { loadConfig } from '../config.js';
import { openSqlite } from '../db/sqlite.js';
import { createEventStore } from './create-event-store.js';
import { describeEventStoreContract } from './event-store.contract.js';
import { RedisEventStore } from './redis-event-store.js';

describeWithRedis('redis event store', () => {
  describeEventStoreContract('redis streams', async () => {
    const prefix = `test-${randomUUID()}`;
    return {
      async open() {
        return new RedisEventStore({ url: testRedisUrl!, prefix, blockMs: 500 });
      },
      async cleanup() {
        const redis = new Redis(testRedisUrl!);
        const keys = await redis.keys(`${prefix}:*`);
        if (keys.length > 0) await redis.del(...keys);
        await redis.quit();
      },
    };
  });
});

describe('createEventStore', () => {
  it('is the db store by default, and Redis streams when the queue is BullMQ on Redis', async () => {
    const database = await openSqlite(':memory:');
    try {
      const embedded = await createEventStore(loadConfig({ env: {}, cwd: '/' }), { database });
      expect(embedded.constructor.name).toBe('DbEventStore');
      await embedded.close();
      const team = await createEventStore(
        loadConfig({ env: { CRUCIBLE_QUEUE_DRIVER: 'bullmq', CRUCIBLE_QUEUE_URL: 'redis://127.0.0.1:1' }, cwd: '/' }),
        { database },
      );
      expect(team.constructor.name).toBe('RedisEventStore');
      await team.close();
      const onPostgres = await createEventStore(
        loadConfig({ env: { CRUCIBLE_QUEUE_DRIVER: 'bullmq', CRUCIBLE_QUEUE_URL: 'postgres://u@h/db' }, cwd: '/' }),
        { database },
      );
      expect(onPostgres.constructor.name).toBe('DbEventStore');
      await expect(createEventStore(loadConfig({ env: { CRUCIBLE_EVENTS_DRIVER: 'redis' }, cwd: '/' }), { database })).rejects.toMatchObject({
        code: 'events_url_required',
      });
    } finally {
      await database.close();
    }
  });
});
