import type { Kysely } from 'kysely';

/**
 * Workers that registered (src/jobs/worker-registry.ts): what each offers and runs, and when it was
 * last heard from. A worker that stops heartbeating is reported `lost`; its jobs go back to the queue
 * through their leases, not through this table.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('workers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('host', 'text', (c) => c.notNull())
    .addColumn('pid', 'integer', (c) => c.notNull())
    // JSON text: {cpu, memoryMb, gpus}; the job types it runs; the jobs it runs now.
    .addColumn('resources', 'text', (c) => c.notNull())
    .addColumn('types', 'text', (c) => c.notNull())
    .addColumn('running', 'text', (c) => c.notNull())
    .addColumn('concurrency', 'integer', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('last_seen_at', 'text', (c) => c.notNull())
    .addColumn('stopped_at', 'text')
    .execute();
  await db.schema.createIndex('workers_last_seen_idx').on('workers').column('last_seen_at').execute();
}
