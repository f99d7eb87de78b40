/**
 * Run rows in the metadata db. Rows become domain objects (RunView, MetricPoint) here; the rest of
 * the domain never sees a row. Every write that touches a run first bumps its row (metric_seq),
 * which serialises concurrent writers of one run on PostgreSQL (SQLite has one writer anyway).
 */
import type { Transaction } from 'kysely';
import type { Database } from '../platform/db/index.js';
import type { RunsTable, Tables } from '../platform/db/tables.js';
import { ConflictError } from '../platform/errors.js';
import type { Page } from '../platform/paging.js';
import { pageOf } from '../platform/paging.js';
import type { Artifact, MetricPoint, RunStatus, RunView } from './schema.js';

/** A metric point ready to store: validated, its timestamp filled in. */
export interface NewMetric {
  name: string;
  step: number;
  value: number;
  at: string;
}

/** What one atomic write adds to a run (params text already, keys validated). */
export interface RunWrite {
  params: Record<string, string>;
  tags: Record<string, string>;
  metrics: NewMetric[];
}

export interface RunListFilter {
  jobId?: string;
  status?: RunStatus[];
  tag?: { key: string; value?: string };
  limit: number;
  cursor?: string;
}

type Trx = Transaction<Tables>;
const CHUNK = 500;

function chunks<T>(items: T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export class RunStore {
  constructor(private readonly database: Database) {}

  /** Inserts a run with its first params and tags, in one transaction. */
  async insert(run: Omit<RunsTable, 'metric_seq' | 'end_time'>, write: RunWrite): Promise<void> {
    await this.database.transaction(async (trx) => {
      await trx.insertInto('runs').values({ ...run, end_time: null, metric_seq: 0 }).execute();
      await this.applyWrite(trx, run.id, write);
    });
  }

  /**
   * Adds params, tags and metric points to a run, all or nothing. A param already set to another
   * value refuses the whole write (ConflictError `param_conflict`); the same value again is a no-op.
   * Returns false when there is no such run.
   */
  async write(runId: string, write: RunWrite): Promise<boolean> {
    return this.database.transaction(async (trx) => {
      if (!(await this.lockRun(trx, runId))) return false;
      await this.applyWrite(trx, runId, write);
      return true;
    });
  }

  /** Bumps nothing but takes the run row's lock; false when absent. */
  async lockRun(trx: Trx, runId: string): Promise<boolean> {
    const result = await trx.updateTable('runs').set((eb) => ({ metric_seq: eb('metric_seq', '+', 0) })).where('id', '=', runId).executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** The body of `write`, inside a transaction that holds the run's lock. */
  async applyWrite(trx: Trx, runId: string, write: RunWrite): Promise<void> {
    const paramKeys = Object.keys(write.params);
    if (paramKeys.length > 0) {
      const existing = await trx.selectFrom('run_params').select(['key', 'value']).where('run_id', '=', runId).where('key', 'in', paramKeys).execute();
      const had = new Map(existing.map((row) => [row.key, row.value]));
      const conflicts = paramKeys.filter((key) => had.has(key) && had.get(key) !== write.params[key]);
      if (conflicts.length > 0) {
        const key = conflicts[0]!;
        throw new ConflictError(
          'param_conflict',
          `Param "${key}" of run ${runId} is already "${had.get(key)}"; params are set once (you sent "${write.params[key]}"). Log the new value under another key, or start a new run.`,
          { run_id: runId, conflicts: conflicts.map((k) => ({ key: k, existing: had.get(k), given: write.params[k] })) },
        );
      }
      const fresh = paramKeys.filter((key) => !had.has(key)).map((key) => ({ run_id: runId, key, value: write.params[key]! }));
      for (const rows of chunks(fresh)) await trx.insertInto('run_params').values(rows).execute();
    }
    const tagRows = Object.entries(write.tags).map(([key, value]) => ({ run_id: runId, key, value }));
    for (const rows of chunks(tagRows)) {
      await trx
        .insertInto('run_tags')
        .values(rows)
        .onConflict((oc) => oc.columns(['run_id', 'key']).doUpdateSet((eb) => ({ value: eb.ref('excluded.value') })))
        .execute();
    }
    if (write.metrics.length > 0) await this.appendMetrics(trx, runId, write.metrics);
  }

  private async appendMetrics(trx: Trx, runId: string, metrics: NewMetric[]): Promise<void> {
    await trx.updateTable('runs').set((eb) => ({ metric_seq: eb('metric_seq', '+', metrics.length) })).where('id', '=', runId).execute();
    const { metric_seq } = await trx.selectFrom('runs').select('metric_seq').where('id', '=', runId).executeTakeFirstOrThrow();
    const first = Number(metric_seq) - metrics.length + 1;
    const rows = metrics.map((m, i) => ({ run_id: runId, seq: first + i, name: m.name, step: m.step, value: m.value, at: m.at }));
    for (const part of chunks(rows)) await trx.insertInto('run_metrics').values(part).execute();
    // The batch's last point per name is the run's latest: batches of one run never interleave.
    const latest = new Map<string, (typeof rows)[number]>();
    for (const row of rows) latest.set(row.name, row);
    for (const part of chunks([...latest.values()])) {
      await trx
        .insertInto('run_latest_metrics')
        .values(part)
        .onConflict((oc) =>
          oc.columns(['run_id', 'name']).doUpdateSet((eb) => ({
            seq: eb.ref('excluded.seq'),
            step: eb.ref('excluded.step'),
            value: eb.ref('excluded.value'),
            at: eb.ref('excluded.at'),
          })),
        )
        .execute();
    }
  }

  /** Sets the given columns; false when there is no such run. */
  async update(runId: string, fields: Partial<Pick<RunsTable, 'name' | 'status' | 'end_time'>>): Promise<boolean> {
    if (Object.keys(fields).length === 0) return (await this.database.db.selectFrom('runs').select('id').where('id', '=', runId).executeTakeFirst()) !== undefined;
    const result = await this.database.db.updateTable('runs').set(fields).where('id', '=', runId).executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Names a blob in a run. The same name for another blob: ConflictError `artifact_conflict`. */
  async addArtifact(runId: string, artifact: Artifact): Promise<boolean> {
    return this.database.transaction(async (trx) => {
      if (!(await this.lockRun(trx, runId))) return false;
      const existing = await trx.selectFrom('run_artifacts').selectAll().where('run_id', '=', runId).where('name', '=', artifact.name).executeTakeFirst();
      if (existing && existing.sha256 !== artifact.sha256) {
        throw new ConflictError(
          'artifact_conflict',
          `Run ${runId} already has an artifact "${artifact.name}" (sha256 ${existing.sha256}); artifacts are never overwritten. Log it under another name.`,
          { run_id: runId, name: artifact.name, existing: existing.sha256, given: artifact.sha256 },
        );
      }
      if (!existing) await trx.insertInto('run_artifacts').values({ run_id: runId, ...artifact }).execute();
      return true;
    });
  }

  async get(runId: string): Promise<RunView | null> {
    const [view] = await this.getMany([runId]);
    return view ?? null;
  }

  /** The runs that exist among `ids`, in the order given. */
  async getMany(ids: string[]): Promise<RunView[]> {
    if (ids.length === 0) return [];
    const rows = await this.database.db.selectFrom('runs').selectAll().where('id', 'in', ids).execute();
    const byId = new Map(rows.map((row) => [row.id, row]));
    return this.views(ids.map((id) => byId.get(id)).filter((row): row is RunsTable => row !== undefined));
  }

  /** Newest first; cursor = the last id of the previous page. */
  async list(filter: RunListFilter): Promise<Page<RunView>> {
    let query = this.database.db.selectFrom('runs').selectAll('runs');
    if (filter.jobId !== undefined) query = query.where('runs.job_id', '=', filter.jobId);
    if (filter.status && filter.status.length > 0) query = query.where('runs.status', 'in', filter.status);
    if (filter.tag) {
      const { key, value } = filter.tag;
      query = query.where(({ exists, selectFrom }) => {
        let tags = selectFrom('run_tags').select('run_tags.run_id').whereRef('run_tags.run_id', '=', 'runs.id').where('run_tags.key', '=', key);
        if (value !== undefined) tags = tags.where('run_tags.value', '=', value);
        return exists(tags);
      });
    }
    if (filter.cursor) query = query.where('runs.id', '<', filter.cursor);
    const rows = await query.orderBy('runs.id', 'desc').limit(filter.limit + 1).execute();
    const page = pageOf(rows, filter.limit, (row) => row.id);
    return { items: await this.views(page.items), next_cursor: page.next_cursor };
  }

  /**
   * A run's metric points ordered by (name, step, seq), optionally of one metric, after a cursor
   * (the `[name, step, seq]` of the previous page's last point).
   */
  async series(runId: string, options: { name?: string; after?: [string, number, number]; limit: number }): Promise<{ points: MetricPoint[]; last: [string, number, number] | null; more: boolean }> {
    let query = this.database.db.selectFrom('run_metrics').selectAll().where('run_id', '=', runId);
    if (options.name !== undefined) query = query.where('name', '=', options.name);
    if (options.after) {
      const [n, s, q] = options.after;
      query = query.where((eb) =>
        eb.or([eb('name', '>', n), eb.and([eb('name', '=', n), eb('step', '>', s)]), eb.and([eb('name', '=', n), eb('step', '=', s), eb('seq', '>', q)])]),
      );
    }
    const rows = await query.orderBy('name').orderBy('step').orderBy('seq').limit(options.limit + 1).execute();
    const more = rows.length > options.limit;
    const kept = rows.slice(0, options.limit);
    const lastRow = kept[kept.length - 1];
    return {
      points: kept.map((row) => ({ name: row.name, step: Number(row.step), value: Number(row.value), timestamp: row.at })),
      last: lastRow ? [lastRow.name, Number(lastRow.step), Number(lastRow.seq)] : null,
      more,
    };
  }

  /** Every point of these runs (optionally only these metrics), ordered by run, name, step, seq: for compare. */
  async pointsOf(runIds: string[], names?: string[]): Promise<Array<{ runId: string; name: string; step: number; value: number }>> {
    let query = this.database.db.selectFrom('run_metrics').select(['run_id', 'name', 'step', 'value']).where('run_id', 'in', runIds);
    if (names && names.length > 0) query = query.where('name', 'in', names);
    const rows = await query.orderBy('run_id').orderBy('name').orderBy('step').orderBy('seq').execute();
    return rows.map((row) => ({ runId: row.run_id, name: row.name, step: Number(row.step), value: Number(row.value) }));
  }

  /** The run linked to a job (its metric events land there), and how far its events were copied. */
  async jobLink(jobId: string): Promise<{ runId: string; lastEventSeq: number } | null> {
    const row = await this.database.db.selectFrom('job_runs').selectAll().where('job_id', '=', jobId).executeTakeFirst();
    return row ? { runId: row.run_id, lastEventSeq: Number(row.last_event_seq) } : null;
  }

  /** Creates the run and links it to the job, unless a link exists (then nothing happens). Returns the linked run id. */
  async linkJob(jobId: string, run: Omit<RunsTable, 'metric_seq' | 'end_time'>, tags: Record<string, string>): Promise<string> {
    try {
      await this.database.transaction(async (trx) => {
        const found = await trx.selectFrom('job_runs').select('run_id').where('job_id', '=', jobId).executeTakeFirst();
        if (found) return;
        await trx.insertInto('runs').values({ ...run, end_time: null, metric_seq: 0 }).execute();
        await this.applyWrite(trx, run.id, { params: {}, tags, metrics: [] });
        await trx.insertInto('job_runs').values({ job_id: jobId, run_id: run.id, last_event_seq: 0 }).execute();
      });
    } catch (err) {
      // A concurrent linker won the race (unique job_id): use its run.
      const link = await this.jobLink(jobId);
      if (link) return link.runId;
      throw err;
    }
    return (await this.jobLink(jobId))!.runId;
  }

  /**
   * Moves a job link's cursor from `fromSeq` to `toSeq` and applies `fn` in the same transaction;
   * false (nothing applied) when another copier moved the cursor first.
   */
  async advanceJobLink(jobId: string, fromSeq: number, toSeq: number, fn: (trx: Trx) => Promise<void>): Promise<boolean> {
    return this.database.transaction(async (trx) => {
      const moved = await trx.updateTable('job_runs').set({ last_event_seq: toSeq }).where('job_id', '=', jobId).where('last_event_seq', '=', fromSeq).executeTakeFirst();
      if (Number(moved.numUpdatedRows) === 0) return false;
      await fn(trx);
      return true;
    });
  }

  async setStatusIn(trx: Trx, runId: string, status: RunStatus, endTime: string | null): Promise<void> {
    await trx.updateTable('runs').set({ status, end_time: endTime }).where('id', '=', runId).execute();
  }

  private async views(rows: RunsTable[]): Promise<RunView[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((row) => row.id);
    const db = this.database.db;
    const [params, tags, latest, artifacts] = await Promise.all([
      db.selectFrom('run_params').selectAll().where('run_id', 'in', ids).orderBy('key').execute(),
      db.selectFrom('run_tags').selectAll().where('run_id', 'in', ids).orderBy('key').execute(),
      db.selectFrom('run_latest_metrics').selectAll().where('run_id', 'in', ids).orderBy('name').execute(),
      db.selectFrom('run_artifacts').selectAll().where('run_id', 'in', ids).orderBy('name').execute(),
    ]);
    const views = new Map<string, RunView>(
      rows.map((row) => [
        row.id,
        {
          id: row.id,
          name: row.name,
          job_id: row.job_id,
          status: row.status as RunStatus,
          start_time: row.start_time,
          end_time: row.end_time,
          created_by: row.created_by,
          params: {},
          tags: {},
          metrics: {},
          artifacts: [],
        },
      ]),
    );
    for (const p of params) views.get(p.run_id)!.params[p.key] = p.value;
    for (const t of tags) views.get(t.run_id)!.tags[t.key] = t.value;
    for (const m of latest) views.get(m.run_id)!.metrics[m.name] = { step: Number(m.step), value: Number(m.value), timestamp: m.at };
    for (const a of artifacts) views.get(a.run_id)!.artifacts.push({ name: a.name, sha256: a.sha256, size: Number(a.size), created_at: a.created_at });
    return rows.map((row) => views.get(row.id)!);
  }
}
