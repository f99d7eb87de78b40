/**
 * Workflow runs and their steps in the metadata db. Rows become domain objects here. Step changes
 * are compare-and-set on the step's state (and attempt), so two schedulers (two API replicas, or a
 * scheduler tick racing a request) never both move one step.
 */
import { sql } from 'kysely';
import type { Actor } from '../auth/index.js';
import type { Database } from '../platform/db/index.js';
import type { WorkflowRunsTable, WorkflowStepsTable } from '../platform/db/tables.js';
import type { Json } from './expression.js';
import type { StepState, WorkflowDefinition, WorkflowState } from './schema.js';

export interface WorkflowRun {
  id: string;
  name: string;
  state: WorkflowState;
  definition: WorkflowDefinition;
  source: string | null;
  actor: Actor;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

export interface WorkflowStep {
  runId: string;
  stepId: string;
  state: StepState;
  attempt: number;
  jobId: string | null;
  outputs: Json | null;
  reason: string | null;
  startedAt: string | null;
  finishedAt: string | null;
}

export type StepChange = Partial<Pick<WorkflowStep, 'state' | 'attempt' | 'jobId' | 'outputs' | 'reason' | 'startedAt' | 'finishedAt'>>;

function toRun(row: WorkflowRunsTable): WorkflowRun {
  return {
    id: row.id,
    name: row.name,
    state: row.state as WorkflowState,
    definition: JSON.parse(row.definition) as WorkflowDefinition,
    source: row.source,
    actor: { id: row.actor_id, name: row.actor_name, role: row.actor_role as Actor['role'] },
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
  };
}

function toStep(row: WorkflowStepsTable): WorkflowStep {
  return {
    runId: row.run_id,
    stepId: row.step_id,
    state: row.state as StepState,
    attempt: Number(row.attempt),
    jobId: row.job_id,
    outputs: row.outputs === null ? null : (JSON.parse(row.outputs) as Json),
    reason: row.reason,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}

function stepColumns(change: StepChange): Partial<WorkflowStepsTable> {
  const row: Partial<WorkflowStepsTable> = {};
  if (change.state !== undefined) row.state = change.state;
  if (change.attempt !== undefined) row.attempt = change.attempt;
  if (change.jobId !== undefined) row.job_id = change.jobId;
  if (change.outputs !== undefined) row.outputs = change.outputs === null ? null : JSON.stringify(change.outputs);
  if (change.reason !== undefined) row.reason = change.reason;
  if (change.startedAt !== undefined) row.started_at = change.startedAt;
  if (change.finishedAt !== undefined) row.finished_at = change.finishedAt;
  return row;
}

export class WorkflowStore {
  constructor(private readonly database: Database) {}

  /** The run and all its steps (pending), in one transaction. */
  async create(run: Omit<WorkflowRun, 'updatedAt' | 'finishedAt'>): Promise<void> {
    await this.database.transaction(async (trx) => {
      await trx
        .insertInto('workflow_runs')
        .values({
          id: run.id,
          name: run.name,
          state: run.state,
          definition: JSON.stringify(run.definition),
          source: run.source,
          actor_id: run.actor.id,
          actor_name: run.actor.name,
          actor_role: run.actor.role,
          created_at: run.createdAt,
          updated_at: run.createdAt,
          finished_at: null,
        })
        .execute();
      await trx
        .insertInto('workflow_steps')
        .values(
          Object.keys(run.definition.steps).map((stepId) => ({
            run_id: run.id,
            step_id: stepId,
            state: 'pending',
            attempt: 0,
            job_id: null,
            outputs: null,
            reason: null,
            started_at: null,
            finished_at: null,
          })),
        )
        .execute();
    });
  }

  async getRun(id: string): Promise<WorkflowRun | null> {
    const row = await this.database.db.selectFrom('workflow_runs').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toRun(row) : null;
  }

  async steps(runId: string): Promise<WorkflowStep[]> {
    return (await this.database.db.selectFrom('workflow_steps').selectAll().where('run_id', '=', runId).execute()).map(toStep);
  }

  /** Newest first; `before` is the id of the last run of the previous page. */
  async listRuns(options: { limit: number; before?: string; state?: WorkflowState }): Promise<WorkflowRun[]> {
    let query = this.database.db.selectFrom('workflow_runs').selectAll().orderBy('id', 'desc').limit(options.limit);
    if (options.before) query = query.where('id', '<', options.before);
    if (options.state) query = query.where('state', '=', options.state);
    return (await query.execute()).map(toRun);
  }

  /** Steps of many runs at once (for list views). */
  async stepsOf(runIds: string[]): Promise<WorkflowStep[]> {
    if (runIds.length === 0) return [];
    return (await this.database.db.selectFrom('workflow_steps').selectAll().where('run_id', 'in', runIds).execute()).map(toStep);
  }

  /** Runs that still need the scheduler: unfinished ones, and finished ones with a step still queued or running (a cancel in flight). */
  async activeRunIds(): Promise<string[]> {
    const db = this.database.db;
    // Literal states (not bound parameters), so that SQLite can use the partial indexes of 0005-workflows.
    const unfinished = await db.selectFrom('workflow_runs').select('id').where(sql<boolean>`state in ('queued', 'running')`).execute();
    const inFlight = await db.selectFrom('workflow_steps').select('run_id').distinct().where(sql<boolean>`state in ('queued', 'running')`).execute();
    return [...new Set([...unfinished.map((row) => row.id), ...inFlight.map((row) => row.run_id)])];
  }

  /** Moves a step if it is still in `from` (at `attempt`); false when someone else moved it first. */
  async updateStep(runId: string, stepId: string, from: { state: StepState; attempt: number }, change: StepChange): Promise<boolean> {
    const result = await this.database.db
      .updateTable('workflow_steps')
      .set(stepColumns(change))
      .where('run_id', '=', runId)
      .where('step_id', '=', stepId)
      .where('state', '=', from.state)
      .where('attempt', '=', from.attempt)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Moves the run if it is in one of `from`; false otherwise. */
  async updateRun(id: string, from: readonly WorkflowState[], state: WorkflowState, at: string): Promise<boolean> {
    const finished = state === 'succeeded' || state === 'failed' || state === 'cancelled';
    const result = await this.database.db
      .updateTable('workflow_runs')
      .set({ state, updated_at: at, finished_at: finished ? at : null })
      .where('id', '=', id)
      .where('state', 'in', [...from])
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }
}
