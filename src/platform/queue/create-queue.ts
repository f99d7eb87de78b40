import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import { ValidationError } from '../errors.js';
import type { JobQueue } from './job-queue.js';

/**
 * The queue that the configuration selects: embedded (the metadata db passed in) by default,
 * BullMQ on `queue.url` in team mode. Callers receive a JobQueue and never know which. Adapters are
 * imported on demand: the embedded default never loads bullmq (about 1.4 s of start-up).
 * @example const queue = await createQueue(config.queue, { database });
 */
export async function createQueue(config: Config['queue'], deps: { database: Database }): Promise<JobQueue> {
  const options = { leaseMs: config.leaseMs, maxLeaseLapses: config.maxLeaseLapses };
  if (config.driver === 'embedded') {
    const { DbQueue } = await import('./db-queue.js');
    return new DbQueue(deps.database, options);
  }
  if (!config.url) {
    throw new ValidationError(
      'queue_url_required',
      'The bullmq queue driver needs CRUCIBLE_QUEUE_URL: redis://host:6379 for Redis, or postgres://user@host/db for BullMQ on PostgreSQL.',
    );
  }
  const { BullmqQueue } = await import('./bullmq-queue.js');
  return new BullmqQueue({ url: config.url, name: config.name, ...options });
}
