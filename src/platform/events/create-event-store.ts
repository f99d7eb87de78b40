import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import { ValidationError } from '../errors.js';
import type { EventStore } from './event.js';

function isRedisUrl(url: string | undefined): url is string {
  return !!url && /^rediss?:\/\//.test(url);
}

/**
 * The event store the configuration selects: Redis streams when `events.driver` is redis, or is auto
 * and the queue is BullMQ on Redis; else the metadata db. Adapters are imported on demand, so the
 * embedded default never loads ioredis.
 * @example const events = await createEventStore(config, { database });
 */
export async function createEventStore(config: Config, deps: { database: Database }): Promise<EventStore> {
  const { events, queue } = config;
  const redisUrl = events.url ?? (isRedisUrl(queue.url) ? queue.url : undefined);
  const useRedis = events.driver === 'redis' || (events.driver === 'auto' && queue.driver === 'bullmq' && isRedisUrl(queue.url));
  if (!useRedis) {
    const { DbEventStore } = await import('./db-event-store.js');
    return new DbEventStore(deps.database, { pollMs: events.pollMs });
  }
  if (!isRedisUrl(redisUrl)) {
    throw new ValidationError(
      'events_url_required',
      'The redis events driver needs a Redis URL: set CRUCIBLE_EVENTS_URL=redis://host:6379 (or use BullMQ on Redis as the queue).',
    );
  }
  const { RedisEventStore } = await import('./redis-event-store.js');
  return new RedisEventStore({ url: redisUrl, prefix: queue.name });
}
