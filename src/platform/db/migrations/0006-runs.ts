import type { Kysely } from 'kysely';

/**
 * Experiment tracking (src/tracking). A run has params (set once), tags (overwritable), an
 * append-only series of metric points, and artifacts (names of blobs). `runs.metric_seq` numbers a
 * run's points 1, 2, 3 …: a log-batch bumps it first, which also serialises concurrent batches into
 * one run on PostgreSQL. `job_runs` links a job to the run its metric events land in, and remembers
 * the last job event seq copied there, so that copying is idempotent (a batch seen twice adds nothing).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('job_id', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('start_time', 'text', (c) => c.notNull())
    .addColumn('end_time', 'text')
    .addColumn('metric_seq', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_by', 'text')
    .execute();
  await db.schema.createIndex('runs_job_idx').on('runs').column('job_id').execute();
  await db.schema.createIndex('runs_status_idx').on('runs').columns(['status', 'id']).execute();

  await db.schema
    .createTable('run_params')
    .addColumn('run_id', 'text', (c) => c.notNull().references('runs.id'))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('run_params_pk', ['run_id', 'key'])
    .execute();
  await db.schema
    .createTable('run_tags')
    .addColumn('run_id', 'text', (c) => c.notNull().references('runs.id'))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('run_tags_pk', ['run_id', 'key'])
    .execute();
  await db.schema.createIndex('run_tags_key_idx').on('run_tags').columns(['key', 'value']).execute();

  await db.schema
    .createTable('run_metrics')
    .addColumn('run_id', 'text', (c) => c.notNull().references('runs.id'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('step', 'integer', (c) => c.notNull())
    .addColumn('value', 'double precision', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('run_metrics_pk', ['run_id', 'seq'])
    .execute();
  await db.schema.createIndex('run_metrics_series_idx').on('run_metrics').columns(['run_id', 'name', 'step', 'seq']).execute();
  // Each metric's last logged point, kept by log-batch, so that run views never scan a series.
  await db.schema
    .createTable('run_latest_metrics')
    .addColumn('run_id', 'text', (c) => c.notNull().references('runs.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('step', 'integer', (c) => c.notNull())
    .addColumn('value', 'double precision', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('run_latest_metrics_pk', ['run_id', 'name'])
    .execute();

  await db.schema
    .createTable('run_artifacts')
    .addColumn('run_id', 'text', (c) => c.notNull().references('runs.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('run_artifacts_pk', ['run_id', 'name'])
    .execute();
  await db.schema.createIndex('run_artifacts_sha_idx').on('run_artifacts').column('sha256').execute();

  await db.schema
    .createTable('job_runs')
    .addColumn('job_id', 'text', (c) => c.primaryKey())
    .addColumn('run_id', 'text', (c) => c.notNull().references('runs.id'))
    .addColumn('last_event_seq', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}
