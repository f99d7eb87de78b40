import { sql, type Kysely } from 'kysely';

/**
 * Workflows (src/workflows): one row per run of a workflow file, one per step of that run. A step
 * points at the job it became (`job_id`, null until it is submitted); the job queue stays the
 * source of truth for how that job is doing, and the scheduler copies its outcome onto the step.
 * `attempt` counts the times the run submitted the step ("retry failed steps" adds one), and is
 * part of the job's idempotency key, so two schedulers never submit one step twice.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('workflow_runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    // JSON text: the validated definition ({name, steps}); `source` is the file as submitted.
    .addColumn('definition', 'text', (c) => c.notNull())
    .addColumn('source', 'text')
    // Who submitted it: its steps are submitted with these rights.
    .addColumn('actor_id', 'text', (c) => c.notNull())
    .addColumn('actor_name', 'text', (c) => c.notNull())
    .addColumn('actor_role', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .execute();
  // The scheduler's reconcile walks the unfinished runs.
  await db.schema
    .createIndex('workflow_runs_active_idx')
    .on('workflow_runs')
    .column('id')
    .where(sql<boolean>`state in ('queued', 'running')`)
    .execute();
  await db.schema
    .createTable('workflow_steps')
    .addColumn('run_id', 'text', (c) => c.notNull().references('workflow_runs.id'))
    .addColumn('step_id', 'text', (c) => c.notNull())
    // pending | queued | running | succeeded | failed | cancelled | skipped
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('job_id', 'text')
    // JSON text: the job's result once it succeeded.
    .addColumn('outputs', 'text')
    // Why it was skipped, cancelled or failed, in words.
    .addColumn('reason', 'text')
    .addColumn('started_at', 'text')
    .addColumn('finished_at', 'text')
    .addPrimaryKeyConstraint('workflow_steps_pk', ['run_id', 'step_id'])
    .execute();
  await db.schema.createIndex('workflow_steps_job_idx').on('workflow_steps').column('job_id').execute();
  // And the steps still in flight (a cancelled run whose jobs are stopping).
  await db.schema
    .createIndex('workflow_steps_active_idx')
    .on('workflow_steps')
    .column('run_id')
    .where(sql<boolean>`state in ('queued', 'running')`)
    .execute();
}
