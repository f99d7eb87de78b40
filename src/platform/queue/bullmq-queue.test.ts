import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPostgres, type TestPostgres } from '../../../test/support/postgres.js';
import { describeWithPostgres, describeWithRedis, testRedisUrl } from '../../../test/support/team-services.js';
import { BullmqQueue } from './bullmq-queue.js';
import { describeQueueContract, type QueueContractTarget } from './queue.contract.js';

/** Each target is its own BullMQ queue name on the shared server, obliterated afterwards. */
function bullmqTarget(url: string): QueueContractTarget {
  const name = `test-${randomBytes(6).toString('hex')}`;
  return {
    open: async (options) => new BullmqQueue({ url, name, ...options }),
    async cleanup() {
      const queue = new BullmqQueue({ url, name });
      await queue.obliterate();
      await queue.close();
    },
  };
}

describeWithRedis('BullMQ queue on Redis', () => {
  describeQueueContract('BullMQ (Redis)', async () => bullmqTarget(testRedisUrl!));
});

describeWithPostgres('BullMQ queue on PostgreSQL', () => {
  let pg: TestPostgres;
  beforeAll(async () => {
    pg = await createTestPostgres();
  });
  afterAll(async () => {
    await pg?.drop();
  });
  describeQueueContract('BullMQ (PostgreSQL)', async () => bullmqTarget(pg.url));
});

describe('BullMQ queue, server unreachable', () => {
  it.each(['redis://127.0.0.1:1', 'postgres://postgres@127.0.0.1:1/none'])('ping reports %s as queue_unavailable, quickly', async (url) => {
    const queue = new BullmqQueue({ url, name: 'unreachable' });
    try {
      const err = await queue.ping(500).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'queue_unavailable', kind: 'unavailable' });
      expect((err as Error).message).toContain('CRUCIBLE_QUEUE_URL');
    } finally {
      await queue.close();
    }
  });
});
