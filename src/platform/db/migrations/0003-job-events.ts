import type { Kysely } from 'kysely';

/**
 * Job event streams (src/platform/events/db-event-store.ts): `job_events` holds each job's events by
 * (job_id, seq); `job_event_heads` holds each job's last seq. Appending bumps the head row first,
 * which locks it until the transaction ends, so concurrent appenders get consecutive ranges and
 * commit in seq order. No foreign key to `jobs`: in team mode the jobs live in BullMQ.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('job_event_heads')
    .addColumn('job_id', 'text', (c) => c.primaryKey())
    .addColumn('last_seq', 'integer', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('job_events')
    .addColumn('job_id', 'text', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('job_events_pk', ['job_id', 'seq'])
    .execute();
  // The primary key serves every read: job_id = ? and seq > ? order by seq.
}
