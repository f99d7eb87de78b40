import { requireRole, roleAllows, type Actor } from '../auth/index.js';
import type { JobService } from '../jobs/index.js';
import { ConflictError, CrucibleError, ForbiddenError, NotFoundError, ValidationError } from '../platform/errors.js';
import { newId } from '../platform/ids.js';
import type { Logger } from '../platform/logger.js';
import type { Page } from '../platform/paging.js';
import type { Job } from '../platform/queue/index.js';
import { dig, evaluate, parseExpression, truthy, type Json } from './expression.js';
import {
  FINISHED_STEP_STATES,
  type StepState,
  type WorkflowBody,
  type WorkflowDefinition,
  type WorkflowFinding,
  type WorkflowState,
  type WorkflowSummary,
  type WorkflowView,
} from './schema.js';
import type { WorkflowRun, WorkflowStep, WorkflowStore } from './store.js';
import { resolveTemplates, UnresolvedReferenceError } from './template.js';
import { topologicalOrder, validateWorkflow } from './validate.js';

export interface WorkflowServiceDeps {
  store: WorkflowStore;
  jobs: JobService;
  logger?: Logger;
}

const JOB_TO_STEP: Record<Job['state'], StepState> = {
  queued: 'queued',
  running: 'running',
  retrying: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
  cancelled: 'cancelled',
};

/** One line per finding: `12:9 steps.train.needs[0]: unknown step …`. */
export function formatFindings(findings: WorkflowFinding[]): string {
  return findings.map((f) => `${f.line === null ? '' : `${f.line}:${f.column} `}${f.path}: ${f.message}`).join('\n');
}

/** The text (YAML or JSON) or the object a client sent. */
function sourceOf(body: WorkflowBody): string | Record<string, unknown> {
  if (typeof body === 'string') return body;
  if (typeof body.yaml === 'string' && !('steps' in body)) return body.yaml;
  return body;
}

/**
 * Workflows: a YAML DAG of steps, each a job. Validated before anything runs; then each step is
 * submitted (through JobService, with the rights of who submitted the workflow) once all its
 * needs succeeded and its `if` holds. `advance` moves a run forward from the state of its jobs;
 * the scheduler calls it on job events and on a timer, and it is idempotent, so a restart (or a
 * second server) simply calls it again.
 *
 * A step whose need failed or was cancelled is cancelled; a step whose need was skipped is skipped
 * too, unless it has its own `if` (which may test `steps.x.state == 'skipped'`). Independent
 * branches run on after a failure; the run ends `failed` once nothing more can run.
 */
export class WorkflowService {
  private readonly store: WorkflowStore;
  private readonly jobs: JobService;
  private readonly logger: Logger | undefined;
  /** One change at a time per run in this process (the db's compare-and-set covers other processes). */
  private readonly advancing = new Map<string, Promise<void>>();

  constructor(deps: WorkflowServiceDeps) {
    this.store = deps.store;
    this.jobs = deps.jobs;
    this.logger = deps.logger;
  }

  /** Every finding in the file; nothing is stored or run. */
  validate(actor: Actor, body: WorkflowBody): { valid: boolean; findings: WorkflowFinding[] } {
    requireRole(actor, 'viewer', 'Validating workflows');
    const { findings } = validateWorkflow(sourceOf(body), this.jobs.types);
    return { valid: findings.every((f) => f.severity !== 'error'), findings };
  }

  /** Validates, stores the run and submits the steps that can start. ValidationError `workflow_invalid` lists every finding. */
  async create(actor: Actor, body: WorkflowBody): Promise<WorkflowView> {
    requireRole(actor, 'editor', 'Running workflows');
    const source = sourceOf(body);
    const { findings, definition } = validateWorkflow(source, this.jobs.types);
    if (!definition) {
      const count = findings.length === 1 ? '1 error' : `${findings.length} errors`;
      throw new ValidationError('workflow_invalid', `The workflow has ${count}; fix them and run it again:\n${formatFindings(findings)}`, { findings });
    }
    this.requireStepRoles(actor, definition, Object.keys(definition.steps));
    const id = newId('wf');
    await this.store.create({
      id,
      name: definition.name,
      state: 'queued',
      definition,
      source: typeof source === 'string' ? source : JSON.stringify(source),
      actor: { id: actor.id, name: actor.name, role: actor.role },
      createdAt: new Date().toISOString(),
    });
    await this.advance(id);
    return this.view(await this.requireRun(id));
  }

  async get(actor: Actor, id: string): Promise<WorkflowView> {
    requireRole(actor, 'viewer', 'Reading workflows');
    return this.view(await this.requireRun(id));
  }

  /** Newest first. */
  async list(actor: Actor, query: { limit?: number; cursor?: string; state?: WorkflowState } = {}): Promise<Page<WorkflowSummary>> {
    requireRole(actor, 'viewer', 'Listing workflows');
    const limit = Math.min(Math.max(query.limit ?? 50, 1), 500);
    const runs = await this.store.listRuns({ limit: limit + 1, ...(query.cursor ? { before: query.cursor } : {}), ...(query.state ? { state: query.state } : {}) });
    const page = runs.slice(0, limit);
    const steps = await this.store.stepsOf(page.map((run) => run.id));
    const items = page.map((run) => {
      const counts: Record<string, number> = {};
      for (const step of steps) if (step.runId === run.id) counts[shownState(step.state)] = (counts[shownState(step.state)] ?? 0) + 1;
      return { ...summaryOf(run), step_counts: counts };
    });
    return { items, next_cursor: runs.length > limit ? page[page.length - 1]!.id : null };
  }

  /** Stops the run: steps not yet submitted are cancelled, queued and running jobs are cancelled. A finished run is returned unchanged. */
  async cancel(actor: Actor, id: string): Promise<WorkflowView> {
    requireRole(actor, 'editor', 'Cancelling workflows');
    await this.exclusive(id, async () => {
      const run = await this.requireRun(id);
      if (run.state !== 'queued' && run.state !== 'running') return;
      await this.store.updateRun(id, ['queued', 'running'], 'cancelled', new Date().toISOString());
      const now = new Date().toISOString();
      for (const step of await this.store.steps(id)) {
        if (step.state === 'pending') {
          await this.store.updateStep(id, step.stepId, step, { state: 'cancelled', reason: `the workflow was cancelled by ${actor.name}`, finishedAt: now });
        } else if ((step.state === 'queued' || step.state === 'running') && step.jobId) {
          await this.jobs.cancel(actor, step.jobId);
        }
      }
      await this.advanceNow(id);
    });
    return this.view(await this.requireRun(id));
  }

  /**
   * Runs the failed and cancelled steps again (each as a new job), and so what depends on them;
   * succeeded and skipped steps keep their outcome. ConflictError `workflow_not_retryable` unless
   * the run failed or was cancelled.
   */
  async retry(actor: Actor, id: string): Promise<WorkflowView> {
    requireRole(actor, 'editor', 'Retrying workflows');
    await this.exclusive(id, () => this.retryNow(actor, id));
    return this.view(await this.requireRun(id));
  }

  private async retryNow(actor: Actor, id: string): Promise<void> {
    const run = await this.requireRun(id);
    if (run.state !== 'failed' && run.state !== 'cancelled') {
      throw new ConflictError('workflow_not_retryable', `Workflow ${id} is ${run.state}; only a failed or cancelled workflow can be retried. Check it with: crucible workflow status ${id}`, {
        state: run.state,
      });
    }
    const steps = await this.store.steps(id);
    const stopping = steps.filter((step) => step.state === 'queued' || step.state === 'running').map((step) => step.stepId);
    if (stopping.length) {
      throw new ConflictError('workflow_not_retryable', `Workflow ${id} still has steps stopping (${stopping.join(', ')}); retry once they have stopped. Check with: crucible workflow status ${id}`, {
        steps: stopping,
      });
    }
    const again = steps.filter((step) => step.state === 'failed' || step.state === 'cancelled');
    this.requireStepRoles(actor, run.definition, again.map((step) => step.stepId));
    for (const step of again) {
      await this.store.updateStep(id, step.stepId, step, { state: 'pending', jobId: null, outputs: null, reason: null, startedAt: null, finishedAt: null });
    }
    await this.store.updateRun(id, ['failed', 'cancelled'], 'running', new Date().toISOString());
    await this.advanceNow(id);
  }

  /** Runs that the scheduler should advance. */
  activeRunIds(): Promise<string[]> {
    return this.store.activeRunIds();
  }

  /** The job ids of a run's steps that are queued or running (the scheduler watches their events). */
  async activeJobs(id: string): Promise<string[]> {
    return (await this.store.steps(id)).filter((step) => (step.state === 'queued' || step.state === 'running') && step.jobId).map((step) => step.jobId!);
  }

  /** Brings a run up to date with its jobs and submits what can start; safe to call any time, from anywhere. */
  advance(id: string): Promise<void> {
    return this.exclusive(id, () => this.advanceNow(id));
  }

  /** Runs `fn` after every other change of this run made in this process (advance, cancel, retry). */
  private exclusive<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.advancing.get(id) ?? Promise.resolve();
    const next = previous.then(fn);
    const settled = next.then(
      () => undefined,
      () => undefined,
    );
    this.advancing.set(id, settled);
    void settled.then(() => {
      if (this.advancing.get(id) === settled) this.advancing.delete(id);
    });
    return next;
  }

  private async advanceNow(id: string): Promise<void> {
    const run = await this.store.getRun(id);
    if (!run) return;
    const steps = new Map((await this.store.steps(id)).map((step) => [step.stepId, step]));
    const set = async (step: WorkflowStep, change: Parameters<WorkflowStore['updateStep']>[3]): Promise<void> => {
      if (await this.store.updateStep(id, step.stepId, step, change)) steps.set(step.stepId, { ...step, ...change });
      else steps.set(step.stepId, (await this.store.steps(id)).find((s) => s.stepId === step.stepId)!);
    };

    // 1. Steps follow their jobs.
    for (const step of steps.values()) {
      if ((step.state !== 'queued' && step.state !== 'running') || !step.jobId) continue;
      let job: Job;
      try {
        job = await this.jobs.get(run.actor, step.jobId);
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
        await set(step, { state: 'failed', reason: `its job ${step.jobId} no longer exists`, finishedAt: new Date().toISOString() });
        continue;
      }
      const state = JOB_TO_STEP[job.state];
      if (state === step.state) continue;
      await set(step, {
        state,
        startedAt: job.startedAt,
        finishedAt: job.finishedAt,
        ...(state === 'succeeded' ? { outputs: job.result } : {}),
        ...(state === 'failed' ? { reason: job.error?.message ?? 'its job failed' } : {}),
        ...(state === 'cancelled' ? { reason: step.reason ?? 'its job was cancelled' } : {}),
      });
    }

    // 2. Pending steps whose needs are all finished: cancel, skip, or submit.
    if (run.state === 'queued' || run.state === 'running') {
      for (const stepId of topologicalOrder(run.definition.steps)) {
        const step = steps.get(stepId)!;
        if (step.state !== 'pending') continue;
        const definition = run.definition.steps[stepId]!;
        const needs = definition.needs.map((need) => steps.get(need)!);
        if (!needs.every((need) => FINISHED_STEP_STATES.includes(need.state))) continue;
        const now = new Date().toISOString();
        const broken = needs.find((need) => need.state === 'failed' || need.state === 'cancelled');
        const skippedNeed = needs.find((need) => need.state === 'skipped');
        if (broken) {
          await set(step, { state: 'cancelled', reason: `its need "${broken.stepId}" ${broken.state}`, finishedAt: now });
          continue;
        }
        if (skippedNeed && definition.if === undefined) {
          await set(step, { state: 'skipped', reason: `its need "${skippedNeed.stepId}" was skipped`, finishedAt: now });
          continue;
        }
        const lookup = (path: Array<string | number>): Json | undefined => {
          const [, upstreamId, field, ...rest] = path;
          const upstream = steps.get(String(upstreamId));
          if (!upstream) return undefined;
          if (field === 'state') return upstream.state;
          if (field === 'job_id') return upstream.jobId;
          return dig(upstream.outputs ?? undefined, rest);
        };
        if (definition.if !== undefined) {
          const holds = typeof definition.if === 'boolean' ? definition.if : truthy(evaluate(parseExpression(definition.if), lookup));
          if (!holds) {
            await set(step, { state: 'skipped', reason: `if: ${String(definition.if)} was false`, finishedAt: now });
            continue;
          }
        }
        await this.submitStep(run, step, definition, lookup, set);
      }
    }

    // 3. The run follows its steps.
    const all = [...steps.values()];
    if (run.state !== 'queued' && run.state !== 'running') return;
    const now = new Date().toISOString();
    if (all.every((step) => FINISHED_STEP_STATES.includes(step.state))) {
      const failed = all.some((step) => step.state === 'failed' || step.state === 'cancelled');
      await this.store.updateRun(id, ['queued', 'running'], failed ? 'failed' : 'succeeded', now);
    } else if (run.state === 'queued' && all.some((step) => step.state !== 'pending' && step.state !== 'queued')) {
      await this.store.updateRun(id, ['queued'], 'running', now);
    }
  }

  private async submitStep(
    run: WorkflowRun,
    step: WorkflowStep,
    definition: WorkflowDefinition['steps'][string],
    lookup: (path: Array<string | number>) => Json | undefined,
    set: (step: WorkflowStep, change: Parameters<WorkflowStore['updateStep']>[3]) => Promise<void>,
  ): Promise<void> {
    const attempt = step.attempt + 1;
    let payload: Json;
    try {
      payload = resolveTemplates(definition.with, lookup);
    } catch (err) {
      if (!(err instanceof UnresolvedReferenceError)) throw err;
      await set(step, { state: 'failed', attempt, reason: `cannot fill in its inputs: ${err.message}`, finishedAt: new Date().toISOString() });
      return;
    }
    let job: Job;
    try {
      job = await this.jobs.submit(run.actor, {
        type: definition.uses,
        payload,
        maxAttempts: definition.retries + 1,
        // Two schedulers submitting one step get one job.
        idempotencyKey: `workflow:${run.id}:${step.stepId}:${attempt}`,
      });
    } catch (err) {
      if (!(err instanceof CrucibleError) || err.kind === 'unavailable' || err.kind === 'internal') throw err;
      await set(step, { state: 'failed', attempt, reason: `its job was refused: ${err.message}`, finishedAt: new Date().toISOString() });
      return;
    }
    await set(step, { state: 'queued', attempt, jobId: job.id });
    if (!(await this.store.steps(run.id)).some((s) => s.stepId === step.stepId && s.jobId === job.id)) {
      // Another process moved the step first (e.g. a cancel): this job must not run on its own.
      await this.jobs.cancel(run.actor, job.id).catch(() => undefined);
      return;
    }
    this.logger?.debug({ workflow: run.id, step: step.stepId, job: job.id }, 'workflow step submitted');
  }

  private requireStepRoles(actor: Actor, definition: WorkflowDefinition, stepIds: string[]): void {
    for (const stepId of stepIds) {
      const type = this.jobs.types.get(definition.steps[stepId]!.uses);
      if (type && !roleAllows(actor.role, type.role)) {
        throw new ForbiddenError(
          'forbidden',
          `Step "${stepId}" runs a ${type.type} job, which needs the ${type.role} role; this key has the ${actor.role} role. Ask an admin for a key with more rights, or remove the step.`,
          { step: stepId, needed: type.role, role: actor.role },
        );
      }
    }
  }

  private async requireRun(id: string): Promise<WorkflowRun> {
    const run = await this.store.getRun(id);
    if (!run) throw new NotFoundError('workflow_not_found', `No workflow ${id}. List workflows with: crucible workflow list`, { id });
    return run;
  }

  private async view(run: WorkflowRun): Promise<WorkflowView> {
    const steps = new Map((await this.store.steps(run.id)).map((step) => [step.stepId, step]));
    const order = topologicalOrder(run.definition.steps);
    return {
      ...summaryOf(run),
      order,
      steps: Object.fromEntries(
        order.map((stepId) => {
          const step = steps.get(stepId)!;
          const definition = run.definition.steps[stepId]!;
          return [
            stepId,
            {
              state: shownState(step.state),
              job_id: step.jobId,
              uses: definition.uses,
              needs: definition.needs,
              if: definition.if ?? null,
              attempt: step.attempt,
              outputs: step.outputs,
              reason: step.reason,
              started_at: step.startedAt,
              finished_at: step.finishedAt,
            },
          ];
        }),
      ),
    };
  }
}

function shownState(state: StepState): Exclude<StepState, 'pending'> {
  return state === 'pending' ? 'queued' : state;
}

function summaryOf(run: WorkflowRun): Omit<WorkflowSummary, 'step_counts'> {
  return { id: run.id, name: run.name, state: run.state, created_by: run.actor.name, created_at: run.createdAt, updated_at: run.updatedAt, finished_at: run.finishedAt };
}
