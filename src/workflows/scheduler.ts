import { SYSTEM_ACTOR } from '../auth/index.js';
import type { JobService } from '../jobs/index.js';
import type { Logger } from '../platform/logger.js';
import type { WorkflowService } from './service.js';

export interface WorkflowSchedulerOptions {
  /** How often every unfinished run is reconciled with its jobs (the safety net under job events). */
  pollMs?: number;
  logger?: Logger;
}

/**
 * Drives workflow runs: on start it reconciles every unfinished run (so a restarted server picks up
 * where it was: all state is in the db), then advances a run as soon as one of its jobs changes
 * state (it follows each active job's event stream), and reconciles all runs every `pollMs` in case
 * an event was missed or a job changed in another process.
 */
export class WorkflowScheduler {
  private readonly pollMs: number;
  private readonly logger: Logger | undefined;
  private readonly watching = new Map<string, AbortController>();
  /** Advances started by job events, awaited by `stop` so none outlives the db. */
  private readonly inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private tick: Promise<void> = Promise.resolve();
  private stopped = true;

  constructor(
    private readonly workflows: WorkflowService,
    private readonly jobs: JobService,
    options: WorkflowSchedulerOptions = {},
  ) {
    this.pollMs = options.pollMs ?? 2_000;
    this.logger = options.logger;
  }

  /** Reconciles once now, then keeps going until `stop`. */
  start(): this {
    if (!this.stopped) return this;
    this.stopped = false;
    this.schedule(0);
    return this;
  }

  /** Stops watching and waits for the reconcile in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    for (const watch of this.watching.values()) watch.abort();
    this.watching.clear();
    await this.tick;
    await Promise.all([...this.inFlight]);
  }

  /** Reconciles every unfinished run now (also what `start` does first). */
  reconcile(): Promise<void> {
    this.tick = this.tick.then(() => this.reconcileAll());
    return this.tick;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.reconcile().finally(() => this.schedule(this.pollMs));
    }, delayMs);
    this.timer.unref();
  }

  private async reconcileAll(): Promise<void> {
    if (this.stopped) return;
    try {
      for (const id of await this.workflows.activeRunIds()) {
        if (this.stopped) return;
        await this.advance(id);
      }
    } catch (err) {
      this.logger?.warn({ err }, 'workflow reconcile failed; trying again at the next tick');
    }
  }

  private advance(runId: string): Promise<void> {
    const running = this.advanceRun(runId);
    this.inFlight.add(running);
    void running.finally(() => this.inFlight.delete(running));
    return running;
  }

  private async advanceRun(runId: string): Promise<void> {
    if (this.stopped) return;
    try {
      await this.workflows.advance(runId);
      for (const jobId of await this.workflows.activeJobs(runId)) this.watch(runId, jobId);
    } catch (err) {
      this.logger?.warn({ err, workflow: runId }, 'advancing a workflow failed; trying again at the next tick');
    }
  }

  /** Advances the run on each state change of the job, until the job's stream ends. */
  private watch(runId: string, jobId: string): void {
    if (this.stopped || this.watching.has(jobId)) return;
    const abort = new AbortController();
    this.watching.set(jobId, abort);
    void (async () => {
      try {
        const events = await this.jobs.subscribe(SYSTEM_ACTOR, jobId, 0, abort.signal);
        for await (const event of events) {
          if (event.kind === 'state' && event.state !== 'queued') await this.advance(runId);
        }
      } catch (err) {
        if (!abort.signal.aborted) this.logger?.debug({ err, job: jobId }, 'stopped following a workflow job; the poll takes over');
      } finally {
        this.watching.delete(jobId);
      }
      if (!this.stopped) await this.advance(runId);
    })();
  }
}
