import type { Readable } from 'node:stream';
import { requireRole, type Actor } from '../auth/index.js';
import type { BlobStore } from '../platform/blobs/index.js';
import { NotFoundError, ValidationError } from '../platform/errors.js';
import { newId } from '../platform/ids.js';
import type { Page } from '../platform/paging.js';
import type { ZodType } from 'zod';
import type { EventStore, JobEvent } from '../platform/events/index.js';
import type { Logger } from '../platform/logger.js';
import { ensureRunForJob, onJobEventsAppended, type JobLookup, type JobRunDeps } from './job-runs.js';
import { compareRuns } from './compare.js';
import {
  CreateRunInputSchema,
  LOG_BATCH_LIMITS,
  LogArtifactInputSchema,
  LogBatchInputSchema,
  MAX_COMPARE_RUNS,
  paramText,
  UpdateRunInputSchema,
  type Artifact,
  type CreateRunInput,
  type LogArtifactInput,
  type LogBatchInput,
  type LogBatchResult,
  type MetricPoint,
  type RunComparison,
  type RunStatus,
  type RunView,
  type UpdateRunInput,
} from './schema.js';
import type { RunStore, RunWrite } from './store.js';

export interface TrackingServiceDeps {
  store: RunStore;
  blobs: Pick<BlobStore, 'stat' | 'get'>;
  /** The job event streams that jobs' runs are copied from. */
  events: Pick<EventStore, 'list'>;
  /** Names a job's run after its type; optional. */
  jobs?: JobLookup;
  logger?: Pick<Logger, 'warn'>;
}

export interface RunListQuery {
  jobId?: string;
  status?: RunStatus[];
  /** `key` (has the tag) or `key=value`. */
  tag?: string;
  limit?: number;
  cursor?: string;
}

export interface MetricSeriesQuery {
  name?: string;
  limit?: number;
  cursor?: string;
}

const MAX_PAGE = 1000;

/** Parses `input` with `schema`, or throws ValidationError `code` naming the first bad field. */
export function parseInput<T>(schema: ZodType<T>, input: unknown, code: string, what: string): T {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const at = issue.path.length > 0 ? ` at "${issue.path.join('.')}"` : '';
  throw new ValidationError(code, `Invalid ${what}${at}: ${issue.message}.`, { issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) });
}

function textMap(map: Record<string, string | number | boolean> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(map ?? {})) out[key] = paramText(value);
  return out;
}

function encodeCursor(last: [string, number, number]): string {
  return Buffer.from(JSON.stringify(last)).toString('base64url');
}

function decodeCursor(cursor: string): [string, number, number] {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(value) && value.length === 3 && typeof value[0] === 'string' && Number.isInteger(value[1]) && Number.isInteger(value[2])) {
      return value as [string, number, number];
    }
  } catch {
    // reported below
  }
  throw new ValidationError('cursor_invalid', 'The cursor is not one this server gave out: pass the next_cursor of the previous page unchanged.');
}

/**
 * Experiment tracking, MLflow-like: runs with params (set once: another value is 409
 * `param_conflict`), tags (the last value wins), append-only metric series and artifacts (named
 * blobs). Viewers read; editors create and log. Jobs' metric events reach their run through
 * job-runs.ts.
 */
export class TrackingService {
  readonly store: RunStore;
  private readonly blobs: Pick<BlobStore, 'stat' | 'get'>;
  private readonly jobRuns: JobRunDeps;

  constructor(deps: TrackingServiceDeps) {
    this.store = deps.store;
    this.blobs = deps.blobs;
    this.jobRuns = {
      store: deps.store,
      events: deps.events,
      ...(deps.jobs ? { jobs: deps.jobs } : {}),
      ...(deps.logger ? { logger: deps.logger } : {}),
    };
  }

  /** The run that `jobId`'s metric events land in, created and filled from the job's history on first use. */
  async ensureRunForJob(jobId: string): Promise<RunView> {
    return (await this.store.get(await ensureRunForJob(this.jobRuns, jobId)))!;
  }

  /**
   * For producers of job events (the worker's event sink): call after each append. A metric event
   * makes sure the job has a run; then the run catches up with the job's stream. Never throws.
   */
  onJobEventsAppended(jobId: string, appended: Array<Pick<JobEvent, 'kind'>>): Promise<void> {
    return onJobEventsAppended(this.jobRuns, jobId, appended);
  }

  /** Creates a run, `running`, with its first params and tags. */
  async create(actor: Actor, input: CreateRunInput): Promise<RunView> {
    requireRole(actor, 'editor', 'Creating runs');
    const spec = parseInput(CreateRunInputSchema, input, 'run_invalid', 'run');
    const id = newId('run');
    const write = { params: textMap(spec.params), tags: textMap(spec.tags), metrics: [] };
    this.checkLimits(write);
    await this.store.insert(
      { id, name: spec.name ?? id, job_id: spec.job_id ?? null, status: 'running', start_time: spec.start_time ? new Date(spec.start_time).toISOString() : new Date().toISOString(), created_by: actor.name },
      write,
    );
    return (await this.store.get(id))!;
  }

  async get(actor: Actor, runId: string): Promise<RunView> {
    requireRole(actor, 'viewer', 'Reading runs');
    const run = await this.store.get(runId);
    if (!run) throw this.notFound(runId);
    return run;
  }

  /** Newest first, filtered by job, status and tag. */
  async list(actor: Actor, query: RunListQuery = {}): Promise<Page<RunView>> {
    requireRole(actor, 'viewer', 'Listing runs');
    const limit = Math.min(Math.max(1, query.limit ?? 50), MAX_PAGE);
    let tag: { key: string; value?: string } | undefined;
    if (query.tag !== undefined) {
      const at = query.tag.indexOf('=');
      tag = at < 0 ? { key: query.tag } : { key: query.tag.slice(0, at), value: query.tag.slice(at + 1) };
      if (tag.key === '') throw new ValidationError('run_filter_invalid', 'A tag filter is "key" or "key=value", e.g. tag=team=nlp.');
    }
    return this.store.list({
      limit,
      ...(query.jobId !== undefined ? { jobId: query.jobId } : {}),
      ...(query.status ? { status: query.status } : {}),
      ...(tag ? { tag } : {}),
      ...(query.cursor ? { cursor: query.cursor } : {}),
    });
  }

  /**
   * Params, tags and metric points in one atomic write (like MLflow's log-batch): at most
   * LOG_BATCH_LIMITS of each; a param conflict or any bad item stores nothing.
   */
  async logBatch(actor: Actor, runId: string, input: LogBatchInput): Promise<LogBatchResult> {
    requireRole(actor, 'editor', 'Logging to runs');
    if (input && typeof input === 'object' && Array.isArray((input as LogBatchInput).metrics)) this.checkCount('metrics', (input as LogBatchInput).metrics!.length);
    const batch = parseInput(LogBatchInputSchema, input, 'log_batch_invalid', 'log-batch');
    const now = new Date().toISOString();
    const write: RunWrite = {
      params: textMap(batch.params),
      tags: textMap(batch.tags),
      metrics: (batch.metrics ?? []).map((m) => ({ name: m.name, step: m.step, value: m.value, at: m.timestamp ? new Date(m.timestamp).toISOString() : now })),
    };
    this.checkLimits(write);
    if (!(await this.store.write(runId, write))) throw this.notFound(runId);
    return { run_id: runId, params: Object.keys(write.params).length, tags: Object.keys(write.tags).length, metrics: write.metrics.length };
  }

  /** Renames a run or sets its status: a terminal status sets `end_time` (now unless given); `running` clears it. */
  async update(actor: Actor, runId: string, input: UpdateRunInput): Promise<RunView> {
    requireRole(actor, 'editor', 'Updating runs');
    const spec = parseInput(UpdateRunInputSchema, input, 'run_update_invalid', 'run update');
    const fields: { name?: string; status?: RunStatus; end_time?: string | null } = {};
    if (spec.name !== undefined) fields.name = spec.name;
    if (spec.status !== undefined) {
      fields.status = spec.status;
      fields.end_time = spec.status === 'running' ? null : new Date(spec.end_time ?? Date.now()).toISOString();
    } else if (spec.end_time !== undefined) {
      fields.end_time = new Date(spec.end_time).toISOString();
    }
    if (!(await this.store.update(runId, fields))) throw this.notFound(runId);
    return (await this.store.get(runId))!;
  }

  /** Names a stored blob (e.g. an upload's sha256) as an artifact of the run. */
  async logArtifact(actor: Actor, runId: string, input: LogArtifactInput): Promise<RunView> {
    requireRole(actor, 'editor', 'Logging artifacts');
    const spec = parseInput(LogArtifactInputSchema, input, 'artifact_invalid', 'artifact');
    const blob = await this.blobs.stat(spec.sha256);
    if (!blob) {
      throw new NotFoundError('blob_not_found', `No blob with sha256 ${spec.sha256} is stored. Upload the file first (POST /api/v1/uploads) and pass the sha256 it returns.`, { sha256: spec.sha256 });
    }
    const artifact: Artifact = { name: spec.name, sha256: blob.sha256, size: blob.size, created_at: new Date().toISOString() };
    if (!(await this.store.addArtifact(runId, artifact))) throw this.notFound(runId);
    return (await this.store.get(runId))!;
  }

  /** An artifact's bytes. */
  async artifact(actor: Actor, runId: string, name: string): Promise<{ artifact: Artifact; stream: Readable }> {
    const run = await this.get(actor, runId);
    const artifact = run.artifacts.find((a) => a.name === name);
    if (!artifact) {
      throw new NotFoundError('artifact_not_found', `Run ${runId} has no artifact "${name}"; it has ${run.artifacts.map((a) => `"${a.name}"`).join(', ') || 'none'}.`, { run_id: runId, name });
    }
    return { artifact, stream: await this.blobs.get(artifact.sha256) };
  }

  /** A run's metric points, ordered by name then step (all metrics, or one by `name`); paged. */
  async metrics(actor: Actor, runId: string, query: MetricSeriesQuery = {}): Promise<Page<MetricPoint>> {
    requireRole(actor, 'viewer', 'Reading runs');
    if (!(await this.store.get(runId))) throw this.notFound(runId);
    const limit = Math.min(Math.max(1, query.limit ?? MAX_PAGE), 10_000);
    const page = await this.store.series(runId, {
      limit,
      ...(query.name !== undefined ? { name: query.name } : {}),
      ...(query.cursor ? { after: decodeCursor(query.cursor) } : {}),
    });
    return { items: page.points, next_cursor: page.more && page.last ? encodeCursor(page.last) : null };
  }

  /** Aligns the runs' metrics by step and diffs their params (compare.ts). */
  async compare(actor: Actor, runIds: string[], options: { names?: string[] } = {}): Promise<RunComparison> {
    requireRole(actor, 'viewer', 'Comparing runs');
    const ids = runIds.map((id) => id.trim()).filter(Boolean);
    if (ids.length === 0 || ids.length > MAX_COMPARE_RUNS) {
      throw new ValidationError('compare_invalid', `Compare takes 1 to ${MAX_COMPARE_RUNS} run ids, comma-separated: ?ids=run_a,run_b (got ${ids.length}).`, { count: ids.length });
    }
    const repeated = ids.find((id, i) => ids.indexOf(id) !== i);
    if (repeated) throw new ValidationError('compare_invalid', `Run ${repeated} is named twice; name each run once.`, { run_id: repeated });
    const runs = await this.store.getMany(ids);
    const missing = ids.filter((id) => !runs.some((run) => run.id === id));
    if (missing.length > 0) {
      throw new NotFoundError('run_not_found', `No run ${missing.join(', ')}. List runs with: crucible run list`, { run_ids: missing });
    }
    return compareRuns(runs, await this.store.pointsOf(ids, options.names));
  }

  private checkCount(what: keyof typeof LOG_BATCH_LIMITS, count: number): void {
    const limit = LOG_BATCH_LIMITS[what];
    if (count > limit) {
      throw new ValidationError('log_batch_too_large', `A log-batch carries at most ${limit} ${what} (got ${count}). Split it into several calls; the clients do this for you.`, { [what]: count, limit });
    }
  }

  private checkLimits(write: RunWrite): void {
    this.checkCount('params', Object.keys(write.params).length);
    this.checkCount('tags', Object.keys(write.tags).length);
    this.checkCount('metrics', write.metrics.length);
  }

  private notFound(runId: string): NotFoundError {
    return new NotFoundError('run_not_found', `No run ${runId}. List runs with: crucible run list (or GET /api/v1/runs).`, { run_id: runId });
  }
}
