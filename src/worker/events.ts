import type { EventStore } from '../platform/events/index.js';

export type { JobEventInput } from '../platform/events/index.js';

/** The slice of the job event store that the worker writes to. */
export type JobEventSink = Pick<EventStore, 'append'>;
