/**
 * A job's metric events land in the job's own run. The job's event stream stays the source of
 * truth: the run is a copy made by reading the stream after a cursor kept in `job_runs`, moved by
 * compare-and-set in the same transaction as the copy. So copying twice adds nothing, two copiers
 * never both copy a range, and a run linked late (or a copier that crashed) catches up from history.
 */
import type { EventStore, JobEvent } from '../platform/events/index.js';
import { newId } from '../platform/ids.js';
import type { Logger } from '../platform/logger.js';
import type { Database } from '../platform/db/index.js';
import { MetricInputSchema, type RunStatus } from './schema.js';
import { RunStore, type NewMetric } from './store.js';

/** What the copier needs to know about a job: its type names the run. */
export interface JobLookup {
  get(jobId: string): Promise<{ type: string; startedAt: string | null; createdAt: string }>;
}

export interface JobRunDeps {
  store: RunStore;
  events: Pick<EventStore, 'list'>;
  jobs?: JobLookup;
  logger?: Pick<Logger, 'warn'>;
}

/** A job's metric event as a run metric point, or null when a run would refuse it (validated like log-batch). */
export function toMetric(point: { name: string; value: number; step: number }, at: string): NewMetric | null {
  const parsed = MetricInputSchema.safeParse({ name: point.name, value: point.value, step: point.step });
  return parsed.success ? { name: parsed.data.name, step: parsed.data.step, value: parsed.data.value, at } : null;
}

const PAGE = 1000;
const STATUS_OF: Partial<Record<string, RunStatus>> = { running: 'running', succeeded: 'finished', failed: 'failed', cancelled: 'killed' };

/** The run of `jobId`, created (and filled from the job's history) on first use. Returns its id. */
export async function ensureRunForJob(deps: JobRunDeps, jobId: string): Promise<string> {
  const existing = await deps.store.jobLink(jobId);
  const runId = existing ? existing.runId : await createLinkedRun(deps, jobId);
  await syncJobRun(deps, jobId);
  return runId;
}

async function createLinkedRun(deps: JobRunDeps, jobId: string): Promise<string> {
  const job = await deps.jobs?.get(jobId).catch(() => undefined);
  const type = job?.type ?? 'job';
  const run = { id: newId('run'), name: `${type}-${jobId.slice(-6).toLowerCase()}`, job_id: jobId, status: 'running', start_time: job?.startedAt ?? job?.createdAt ?? new Date().toISOString(), created_by: 'system' };
  return deps.store.linkJob(jobId, run, job ? { 'crucible.job_type': type } : {});
}

/**
 * Copies the job's metric and state events after the link's cursor into its run: metrics append,
 * state changes set the run's status (running, finished, failed, killed). No-op without a link.
 */
export async function syncJobRun(deps: JobRunDeps, jobId: string): Promise<void> {
  for (;;) {
    const link = await deps.store.jobLink(jobId);
    if (!link) return;
    const events = await deps.events.list(jobId, { afterSeq: link.lastEventSeq, kinds: ['metric', 'state'], limit: PAGE });
    if (events.length === 0) return;
    const last = events[events.length - 1]!.seq;
    const { metrics, status } = digest(deps, jobId, events);
    const applied = await deps.store.advanceJobLink(jobId, link.lastEventSeq, last, async (trx) => {
      if (metrics.length > 0) await deps.store.applyWrite(trx, link.runId, { params: {}, tags: {}, metrics });
      if (status) await deps.store.setStatusIn(trx, link.runId, status.status, status.status === 'running' ? null : status.at);
    });
    // Not applied: another copier moved the cursor first; read again from where it left it.
    if (applied && events.length < PAGE) return;
  }
}

function digest(deps: JobRunDeps, jobId: string, events: JobEvent[]): { metrics: NewMetric[]; status: { status: RunStatus; at: string } | null } {
  const metrics: NewMetric[] = [];
  let status: { status: RunStatus; at: string } | null = null;
  for (const event of events) {
    if (event.kind === 'metric') {
      const metric = toMetric(event, event.at);
      if (metric) metrics.push(metric);
      else deps.logger?.warn({ jobId, seq: event.seq, name: event.name }, 'a job metric event is not a valid run metric; not copied to the run');
    } else if (event.kind === 'state') {
      const mapped = STATUS_OF[event.state];
      if (mapped) status = { status: mapped, at: event.at };
    }
  }
  return { metrics, status };
}

/**
 * What to call after appending events to a job's stream (the worker's event sink does): a metric
 * event makes sure the job has a run, then the run catches up with the stream. Never throws: a
 * tracking failure is logged and must not fail the job (the next append catches up).
 */
export async function onJobEventsAppended(deps: JobRunDeps, jobId: string, appended: Array<Pick<JobEvent, 'kind'>>): Promise<void> {
  try {
    if (appended.some((event) => event.kind === 'metric')) await ensureRunForJob(deps, jobId);
    else if (appended.some((event) => event.kind === 'state')) await syncJobRun(deps, jobId);
  } catch (err) {
    deps.logger?.warn({ err, jobId }, 'could not copy job events to its run; the next append retries');
  }
}

/**
 * Wraps a job event sink (the worker's, or the event store) so that every append also reaches the
 * job's run. The append's own result and errors are unchanged.
 * @example new Worker({ ...options, events: withRunTracking(ctx.events, ctx.tracking) })
 */
export function withRunTracking(sink: Pick<EventStore, 'append'>, tracking: { onJobEventsAppended(jobId: string, appended: JobEvent[]): Promise<void> }): Pick<EventStore, 'append'> {
  return {
    async append(jobId, events) {
      const stored = await sink.append(jobId, events);
      await tracking.onJobEventsAppended(jobId, stored);
      return stored;
    },
  };
}

/**
 * The worker's event sink with runs tracked, for processes that have no TrackingService (`crucible
 * worker`): the event store, with each job's metric events copied to the job's run.
 * @example startWorkerPool({ ..., events: trackedEventSink({ database, events, jobs: queue, logger }) })
 */
export function trackedEventSink(deps: { database: Database; events: Pick<EventStore, 'append' | 'list'>; jobs?: JobLookup; logger?: Pick<Logger, 'warn'> }): Pick<EventStore, 'append'> {
  const jobRuns: JobRunDeps = {
    store: new RunStore(deps.database),
    events: deps.events,
    ...(deps.jobs ? { jobs: deps.jobs } : {}),
    ...(deps.logger ? { logger: deps.logger } : {}),
  };
  return withRunTracking(deps.events, { onJobEventsAppended: (jobId, appended) => onJobEventsAppended(jobRuns, jobId, appended) });
}
