import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import { ValidationError } from '../errors.js';
import { BullmqQueue } from './bullmq-queue.js';
import { DbQueue } from './db-queue.js';
import type { JobQueue } from './job-queue.js';

/**
 * The queue that the configuration selects: embedded (the metadata db passed in) by default,
 * BullMQ on `queue.url` in team mode. Callers receive a JobQueue and never know which.
 * @example const queue = createQueue(config.queue, { database });
 */
export function createQueue(config: Config['queue'], deps: { database: Database }): JobQueue {
  const options = { leaseMs: config.leaseMs, maxLeaseLapses: config.maxLeaseLapses };
  if (config.driver === 'embedded') return new DbQueue(deps.database, options);
  if (!config.url) {
    throw new ValidationError(
      'queue_url_required',
      'The bullmq queue driver needs CRUCIBLE_QUEUE_URL: redis://host:6379 for Redis, or postgres://user@host/db for BullMQ on PostgreSQL.',
    );
  }
  return new BullmqQueue({ url: config.url, name: config.name, ...options });
}
