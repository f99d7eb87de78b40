import { Redis } from 'ioredis';
import { UnavailableError } from '../errors.js';
import type { EventStore, JobEvent, JobEventInput, ListEventsOptions } from './event.js';
import { listBounds, parseEventInputs } from './validate.js';

export interface RedisEventStoreOptions {
  /** redis://… or rediss://… */
  url: string;
  /** Key prefix, so several installations can share one server. */
  prefix?: string;
  /** How long one XREAD blocks before the subscriber loops (and notices an abort it missed). */
  blockMs?: number;
}

/**
 * Append — one Lua script, so atomic on the server whatever the number of appenders: read the
 * stream's last entry id (`<seq>-0`), then XADD each event with the next ids. Entry ids are the seqs,
 * so XRANGE/XREAD "after seq n" is "after id n-0".
 */
const APPEND_SCRIPT = `
local last = 0
local top = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
if #top > 0 then last = tonumber(string.match(top[1][1], '^(%d+)')) end
for i = 2, #ARGV do
  redis.call('XADD', KEYS[1], (last + i - 1) .. '-0', 'at', ARGV[1], 'e', ARGV[i])
end
return last
`;

type StreamEntry = [id: string, fields: string[]];

/**
 * Job events in Redis streams (team mode), one stream per job. Subscribers XREAD BLOCK on a
 * connection of their own (a blocked connection can do nothing else), from the last seq they saw:
 * history and live events come through the same read, so the boundary cannot lose or repeat one.
 */
export class RedisEventStore implements EventStore {
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly blockMs: number;
  private readonly readers = new Set<Redis>();
  private closed = false;

  constructor(options: RedisEventStoreOptions) {
    this.redis = new Redis(options.url, { lazyConnect: false, maxRetriesPerRequest: 2 });
    // Connection errors surface as rejected commands (events_unavailable); keep them off stderr.
    this.redis.on('error', () => undefined);
    this.redis.defineCommand('crucibleAppendEvents', { numberOfKeys: 1, lua: APPEND_SCRIPT });
    this.prefix = options.prefix ?? 'crucible';
    this.blockMs = options.blockMs ?? 5_000;
  }

  private key(jobId: string): string {
    return `${this.prefix}:job-events:{${jobId}}`;
  }

  async append(jobId: string, inputs: JobEventInput[]): Promise<JobEvent[]> {
    const events = parseEventInputs(jobId, inputs);
    if (events.length === 0) return [];
    const at = new Date().toISOString();
    const append = (this.redis as unknown as Record<string, (...args: string[]) => Promise<number>>).crucibleAppendEvents!;
    const last = await unavailableOnError(() => append.call(this.redis, this.key(jobId), at, ...events.map((event) => JSON.stringify(event))));
    return events.map((event, i) => ({ ...event, jobId, seq: Number(last) + i + 1, at }));
  }

  async list(jobId: string, options: ListEventsOptions = {}): Promise<JobEvent[]> {
    const { afterSeq, limit } = listBounds(options);
    if (options.kinds && options.kinds.length === 0) return [];
    const kinds = options.kinds ? new Set(options.kinds) : undefined;
    const out: JobEvent[] = [];
    let after = afterSeq;
    // With a kinds filter, read on until `limit` events match or the stream ends.
    for (;;) {
      const count = kinds ? Math.max(limit, 200) : limit;
      const entries = (await unavailableOnError(() => this.redis.xrange(this.key(jobId), `${after}-1`, '+', 'COUNT', count))) as StreamEntry[];
      for (const entry of entries) {
        const event = eventOf(jobId, entry);
        after = event.seq;
        if (!kinds || kinds.has(event.kind)) out.push(event);
        if (out.length === limit) return out;
      }
      if (entries.length < count) return out;
    }
  }

  async *subscribe(jobId: string, afterSeq: number, signal: AbortSignal): AsyncIterable<JobEvent> {
    if (signal.aborted || this.closed) return;
    const reader = this.redis.duplicate();
    reader.on('error', () => undefined);
    this.readers.add(reader);
    // A blocked XREAD cannot be interrupted but by dropping its connection.
    const onAbort = () => reader.disconnect();
    signal.addEventListener('abort', onAbort, { once: true });
    let last = Math.max(0, Math.floor(afterSeq));
    try {
      while (!signal.aborted && !this.closed) {
        let reply: Array<[string, StreamEntry[]]> | null;
        try {
          reply = (await reader.xread('COUNT', 500, 'BLOCK', this.blockMs, 'STREAMS', this.key(jobId), `${last}-0`)) as Array<[string, StreamEntry[]]> | null;
        } catch (err) {
          if (signal.aborted || this.closed) return;
          throw unavailable(err);
        }
        for (const entry of reply?.[0]?.[1] ?? []) {
          if (signal.aborted) return;
          const event = eventOf(jobId, entry);
          last = event.seq;
          yield event;
        }
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.readers.delete(reader);
      reader.disconnect();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const reader of this.readers) reader.disconnect();
    this.readers.clear();
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

function eventOf(jobId: string, [id, fields]: StreamEntry): JobEvent {
  const value = (name: string) => fields[fields.indexOf(name) + 1]!;
  const seq = Number(id.slice(0, id.indexOf('-')));
  return { ...(JSON.parse(value('e')) as JobEventInput), jobId, seq, at: value('at') };
}

function unavailable(err: unknown): UnavailableError {
  return new UnavailableError(
    'events_unavailable',
    `The job event store (Redis) cannot be reached: ${(err as Error).message}. Check CRUCIBLE_EVENTS_URL (or CRUCIBLE_QUEUE_URL) and that Redis is up.`,
    undefined,
    { cause: err },
  );
}

async function unavailableOnError<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw unavailable(err);
  }
}
