/**
 * Job event streams: each job's append-only log lines, metric points, progress and state changes,
 * numbered 1, 2, 3 … per job. Embedded: the metadata db with in-process pub/sub (and a poll for
 * other processes); team mode: Redis streams. Both pass event-store.contract.ts.
 */
export {
  DEFAULT_EVENT_LIST_LIMIT,
  JOB_EVENT_KINDS,
  JobEventInputSchema,
  type EventStore,
  type JobEvent,
  type JobEventInput,
  type JobEventKind,
  type ListEventsOptions,
} from './event.js';
export { createEventStore } from './create-event-store.js';
// Adapters are reached through createEventStore (which imports them on demand) or their own modules.
export type { DbEventStoreOptions } from './db-event-store.js';
export type { RedisEventStoreOptions } from './redis-event-store.js';
