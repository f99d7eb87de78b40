import { sql, type Kysely } from 'kysely';

/** The embedded job queue (src/platform/queue/db-queue.ts). Team mode keeps its jobs in BullMQ instead. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('jobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('priority', 'integer', (c) => c.notNull())
    // Thousandths of a core, so fractional cores compare exactly.
    .addColumn('cpu_millis', 'integer', (c) => c.notNull())
    .addColumn('memory_mb', 'integer', (c) => c.notNull())
    .addColumn('gpus', 'integer', (c) => c.notNull())
    .addColumn('max_attempts', 'integer', (c) => c.notNull())
    .addColumn('backoff', 'text', (c) => c.notNull())
    .addColumn('timeout_ms', 'integer')
    .addColumn('idempotency_key', 'text', (c) => c.unique())
    .addColumn('failed_attempts', 'integer', (c) => c.notNull())
    .addColumn('lease_lapses', 'integer', (c) => c.notNull())
    .addColumn('cancel_requested', 'integer', (c) => c.notNull())
    .addColumn('run_after', 'text')
    .addColumn('worker_id', 'text')
    .addColumn('lease_token', 'text')
    .addColumn('lease_expires_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text')
    .addColumn('finished_at', 'text')
    .addColumn('result', 'text')
    .addColumn('error', 'text')
    .execute();
  // Leasing walks the waiting jobs in this order and stops at the first that fits. Queries must
  // spell the state condition as literals (not bound parameters), or SQLite cannot prove that this
  // partial index covers them; and no other index may lead with `state`, or SQLite (which has no
  // statistics until ANALYZE) prefers it and sorts every waiting job on each lease.
  await db.schema
    .createIndex('jobs_leasable_idx')
    .on('jobs')
    .expression(sql`priority desc, id`)
    .where(sql<boolean>`state in ('queued', 'retrying')`)
    .execute();
  // Finding lapsed leases.
  await db.schema.createIndex('jobs_running_idx').on('jobs').column('lease_expires_at').where(sql<boolean>`state = 'running'`).execute();
}
