import { sql } from 'kysely';
import type { Database } from '../db/database.js';
import type { JobEventsTable } from '../db/tables.js';
import type { EventStore, JobEvent, JobEventInput, ListEventsOptions } from './event.js';
import { dataOf, listBounds, parseEventInputs } from './validate.js';
import { EventHub, Wakeup } from './wakeup.js';

export interface DbEventStoreOptions {
  /**
   * How often a subscriber re-reads the db when nothing in this process woke it: the delay with
   * which it sees events appended by another process (a `crucible worker` on the same SQLite file).
   */
  pollMs?: number;
}

/** Rows read per round trip while a subscriber catches up. */
const PAGE = 500;

/**
 * Job events in the metadata db (tables job_events and job_event_heads, migration 0003).
 *
 * Append — one transaction: bump the job's head row (INSERT … ON CONFLICT DO UPDATE … RETURNING),
 * which takes SQLite's write lock, or the row's lock on PostgreSQL, until commit; then insert the
 * events with the seqs just reserved. Appenders of one job therefore run one after the other, and
 * commit in seq order, so a reader that has seen seq n never later finds a lower seq appear.
 *
 * Subscribe: read history from the db in pages, then sleep until an append in this process wakes
 * it (in-process pub/sub) or `pollMs` passes (appends by other processes), and read again.
 * Every event comes from the db by seq, so none is missed or sent twice across the boundary.
 */
export class DbEventStore implements EventStore {
  private readonly hub = new EventHub();
  private readonly pollMs: number;
  private closed = false;

  constructor(
    private readonly database: Database,
    options: DbEventStoreOptions = {},
  ) {
    this.pollMs = options.pollMs ?? 1_000;
  }

  async append(jobId: string, inputs: JobEventInput[]): Promise<JobEvent[]> {
    const events = parseEventInputs(jobId, inputs);
    if (events.length === 0) return [];
    const n = events.length;
    const stored = await this.database.transaction(async (trx) => {
      const head = await trx
        .insertInto('job_event_heads')
        .values({ job_id: jobId, last_seq: n })
        .onConflict((oc) => oc.column('job_id').doUpdateSet({ last_seq: sql<number>`job_event_heads.last_seq + ${n}` }))
        .returning('last_seq')
        .executeTakeFirstOrThrow();
      const first = Number(head.last_seq) - n + 1;
      const at = new Date().toISOString();
      const rows: JobEventsTable[] = events.map((event, i) => ({
        job_id: jobId,
        seq: first + i,
        at,
        kind: event.kind,
        data: JSON.stringify(dataOf(event)),
      }));
      await trx.insertInto('job_events').values(rows).execute();
      return rows.map(eventOf);
    });
    this.hub.publish(jobId);
    return stored;
  }

  async list(jobId: string, options: ListEventsOptions = {}): Promise<JobEvent[]> {
    const { afterSeq, limit } = listBounds(options);
    let query = this.database.db
      .selectFrom('job_events')
      .selectAll()
      .where('job_id', '=', jobId)
      .where('seq', '>', afterSeq);
    if (options.kinds) {
      if (options.kinds.length === 0) return [];
      query = query.where('kind', 'in', options.kinds);
    }
    const rows = await query.orderBy('seq').limit(limit).execute();
    return rows.map(eventOf);
  }

  async *subscribe(jobId: string, afterSeq: number, signal: AbortSignal): AsyncIterable<JobEvent> {
    const wakeup = new Wakeup();
    // Listen before the first read, so an append between that read and the wait still wakes us.
    const unlisten = this.hub.listen(jobId, wakeup);
    let last = Math.max(0, afterSeq);
    try {
      while (!signal.aborted && !this.closed) {
        const batch = await this.list(jobId, { afterSeq: last, limit: PAGE });
        for (const event of batch) {
          if (signal.aborted) return;
          last = event.seq;
          yield event;
        }
        if (batch.length === PAGE) continue;
        await wakeup.wait(this.pollMs, signal);
      }
    } finally {
      unlisten();
    }
  }

  async close(): Promise<void> {
    // The db is the caller's to close; ending the subscriptions is ours.
    this.closed = true;
    this.hub.wakeAll();
  }
}

function eventOf(row: JobEventsTable): JobEvent {
  return { ...(JSON.parse(row.data) as object), kind: row.kind, jobId: row.job_id, seq: Number(row.seq), at: row.at } as JobEvent;
}
