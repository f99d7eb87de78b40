/**
 * The datasets service: adding versions (as `dataset.ingest` jobs), reading them, their reports,
 * preview, read-only query, export, diff and explicit deletion. Roles: viewers read; editors add
 * and delete; ingesting a server-side path needs admin.
 */
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { requireRole, SYSTEM_ACTOR, type Actor } from '../auth/index.js';
import type { JobService } from '../jobs/index.js';
import type { BlobStore } from '../platform/blobs/index.js';
import { ConflictError, NotFoundError, ValidationError } from '../platform/errors.js';
import type { Page } from '../platform/paging.js';
import type { Job } from '../platform/queue/index.js';
import { diffParquet } from './diff.js';
import { openDuck, sqlString } from './duck.js';
import { contentKeyOf, ingestDataset, type IngestRequest, type IngestResult, type RunControl } from './ingest.js';
import { DATASET_INGEST, INGEST_RESOURCES, IngestJobPayloadSchema, type IngestJobPayload } from './job-payload.js';
import type { ParquetCache } from './local-parquet.js';
import { runReadOnlyQuery } from './query.js';
import { formatRef, parseDatasetRef } from './ref.js';
import { AddDatasetInputSchema, QueryInputSchema, type AddDatasetInput, type Dataset, type DatasetReport, type DatasetVersion, type DiffResult, type QueryInput, type RowsResult } from './schema.js';
import { formatFromName } from './sniff.js';
import type { DatasetStore, StoredVersion } from './store.js';
import { parseValidationConfig } from './validation/index.js';
import {
  DATASET_TRANSFORM,
  planTransform,
  recipeHash,
  transformContentKey,
  transformDataset,
  TransformInputSchema,
  TransformJobPayloadSchema,
  validateRecipe,
  RecipeSourceSchema,
  type RecipeFinding,
  type StoredRecipe,
  type TransformInput,
  type TransformRequest,
  type TransformResult,
} from './transforms/index.js';

export interface DatasetServiceDeps {
  store: DatasetStore;
  blobs: BlobStore;
  cache: ParquetCache;
  /** Scratch space for exports and direct ingests. */
  workDir: string;
  jobs?: JobService;
}

/** What `add` returns: the existing version when the content is already there, else the ingest job. */
export interface AddResult {
  version: DatasetVersion | null;
  job: { id: string; state: string } | null;
}

/** What a recipe check returns: every finding; the recipe's sha256 when it is valid. */
export interface RecipeCheck {
  valid: boolean;
  findings: RecipeFinding[];
  recipe_sha256: string | null;
}

export interface ExportFile {
  stream: Readable;
  contentType: string;
  filename: string;
}

/** Views omit what the domain keeps for itself. */
export function versionView(v: StoredVersion): DatasetVersion {
  const { datasetId: _d, contentKey: _c, profile: _p, findings: _f, parentId: _pid, recipeDocument: _r, ...view } = v;
  return view;
}

export class DatasetService {
  constructor(private readonly deps: DatasetServiceDeps) {}

  /**
   * Adds a version from an upload or a server-side path. Same content as an existing version → that
   * version, no job; else a `dataset.ingest` job (follow it with GET /api/v1/jobs/{id}).
   */
  async add(actor: Actor, input: AddDatasetInput): Promise<AddResult> {
    requireRole(actor, 'editor', 'Adding datasets');
    const parsed = AddDatasetInputSchema.safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new ValidationError('dataset_input_invalid', `Invalid dataset input at "${issue.path.join('.') || '(body)'}": ${issue.message}.`, { issues: parsed.error.issues });
    }
    const body = parsed.data;
    parseValidationConfig(body.validation); // a mistake in the rules is refused now, not when the job runs
    if (body.path !== undefined) {
      requireRole(actor, 'admin', 'Ingesting a server-side path');
      if (!path.isAbsolute(body.path) || !existsSync(body.path)) {
        throw new ValidationError('dataset_source_missing', `No file or folder at "${body.path}" on the server. Give an absolute path that exists there, or upload the file.`, { path: body.path });
      }
    }
    const label = body.filename ?? (body.path ? path.basename(body.path) : 'upload');
    const format = body.format ?? formatFromName(label);
    if (body.upload !== undefined) {
      if (!(await this.deps.blobs.has(body.upload))) {
        throw new NotFoundError('upload_not_found', `No upload with sha256 ${body.upload}. Upload the file first (POST /api/v1/uploads), then add it.`, { upload: body.upload });
      }
      if (!format) throw unknownFormat(label);
      const key = contentKeyOf(body.upload, format, { textField: body.text_field, skipBadLines: body.skip_bad_lines, validation: body.validation });
      const existing = await this.deps.store.findByContent(body.name, key);
      if (existing) return { version: versionView(existing), job: null };
    }
    if (!this.deps.jobs) throw new ConflictError('jobs_unavailable', 'This server runs no job queue, so datasets cannot be ingested here.');
    const payload: IngestJobPayload = IngestJobPayloadSchema.parse({
      name: body.name,
      ...(body.upload !== undefined ? { upload: body.upload } : { path: body.path }),
      filename: label,
      ...(format ? { format } : {}),
      text_field: body.text_field,
      skip_bad_lines: body.skip_bad_lines,
      validation: body.validation,
      created_by: actor.id,
    });
    // Submitted as the system: the roles were checked above, and the job type itself needs admin so
    // that a raw POST /api/v1/jobs cannot ingest a server-side path with an editor key.
    const job: Job = await this.deps.jobs.submit(SYSTEM_ACTOR, { type: DATASET_INGEST, payload, resources: { ...INGEST_RESOURCES } });
    return { version: null, job: { id: job.id, state: job.state } };
  }

  /** The long work itself (the job handler calls this; so can a process that owns its own deps). */
  ingest(request: IngestRequest, control: RunControl = {}): Promise<IngestResult> {
    return ingestDataset({ store: this.deps.store, blobs: this.deps.blobs, workDir: this.deps.workDir }, request, control);
  }

  /**
   * Transforms a version by a recipe into a new version (of `name`, else the same dataset). The
   * recipe is checked against the version's schema first: any error refuses it here, with every
   * finding, and nothing is submitted. Same parent and recipe as an existing version → that
   * version, no job; else a `dataset.transform` job. `dry_run` only checks.
   */
  async transform(actor: Actor, ref: string, input: TransformInput): Promise<AddResult | RecipeCheck> {
    requireRole(actor, 'editor', 'Transforming datasets');
    const parsed = TransformInputSchema.safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new ValidationError('dataset_transform_input_invalid', `Invalid transform input at "${issue.path.join('.') || '(body)'}": ${issue.message}. Send {"recipe": "<YAML text>", "name"?}.`, { issues: parsed.error.issues });
    }
    const body = parsed.data;
    const parent = await this.resolve(ref);
    if (body.dry_run) return this.checkRecipe(body.recipe, parent);
    const plan = await planTransform(parent, body.recipe);
    const name = body.name ?? parent.dataset;
    const existing = await this.deps.store.findByContent(name, transformContentKey(parent.id, plan.sha256));
    if (existing) return { version: versionView(existing), job: null };
    if (!this.deps.jobs) throw new ConflictError('jobs_unavailable', 'This server runs no job queue, so datasets cannot be transformed here.');
    const payload = TransformJobPayloadSchema.parse({
      // Pinned to the version checked above, so that a newer version cannot slip in before the job runs.
      dataset: parent.ref,
      recipe: body.recipe,
      ...(body.recipe_name !== undefined ? { recipe_name: body.recipe_name } : {}),
      name,
      created_by: actor.id,
    });
    const job: Job = await this.deps.jobs.submit(actor, { type: DATASET_TRANSFORM, payload, resources: { cpu: 1, memoryMb: 1024 } });
    return { version: null, job: { id: job.id, state: job.state } };
  }

  /** Checks a recipe; against a version's schema when `ref` is given, else everything but field names. */
  async validateRecipe(actor: Actor, recipe: unknown, ref?: string): Promise<RecipeCheck> {
    requireRole(actor, 'viewer', 'Validating recipes');
    const source = RecipeSourceSchema.safeParse(recipe);
    if (!source.success) throw new ValidationError('dataset_transform_input_invalid', 'Send the recipe as {"recipe": "<YAML text>"} (or as an object).');
    return this.checkRecipe(source.data, ref === undefined ? null : await this.resolve(ref));
  }

  private async checkRecipe(recipe: string | Record<string, unknown>, parent: StoredVersion | null): Promise<RecipeCheck> {
    const result = await validateRecipe(recipe, parent ? { columns: parent.columns, textField: parent.text_field } : null);
    return { valid: result.recipe !== null, findings: result.findings, recipe_sha256: result.recipe ? recipeHash(result.recipe) : null };
  }

  /** The recipe that made a version: its text as written, and its parsed steps. */
  async recipe(actor: Actor, ref: string): Promise<StoredRecipe> {
    requireRole(actor, 'viewer', 'Reading datasets');
    const v = await this.resolve(ref);
    if (!v.recipeDocument) throw new NotFoundError('dataset_recipe_not_found', `${v.ref} was not made by a transform, so it has no recipe${v.parent ? '' : ' (it was ingested from a file)'}.`, { ref: v.ref });
    return v.recipeDocument as unknown as StoredRecipe;
  }

  /** The long work of a transform (the job handler calls this; so can a process that owns its own deps). */
  transformNow(request: TransformRequest, control: RunControl = {}): Promise<TransformResult> {
    return transformDataset({ store: this.deps.store, blobs: this.deps.blobs, cache: this.deps.cache, workDir: this.deps.workDir }, request, control);
  }

  async list(actor: Actor, query: { limit?: number; cursor?: string } = {}): Promise<Page<Dataset>> {
    requireRole(actor, 'viewer', 'Listing datasets');
    const limit = query.limit ?? 100;
    const items = await this.deps.store.listDatasets(limit + 1, query.cursor);
    const page = items.slice(0, limit);
    return { items: page, next_cursor: items.length > limit ? page[page.length - 1]!.name : null };
  }

  async get(actor: Actor, ref: string): Promise<DatasetVersion> {
    requireRole(actor, 'viewer', 'Reading datasets');
    return versionView(await this.resolve(ref));
  }

  async versions(actor: Actor, name: string, query: { limit?: number; cursor?: string } = {}): Promise<Page<DatasetVersion>> {
    requireRole(actor, 'viewer', 'Reading datasets');
    if (!(await this.deps.store.datasetExists(name))) throw datasetNotFound(name);
    const limit = query.limit ?? 100;
    const before = query.cursor !== undefined ? Number(query.cursor) : undefined;
    const items = await this.deps.store.listVersions(name, limit + 1, Number.isFinite(before) ? before : undefined);
    const page = items.slice(0, limit);
    return { items: page.map(versionView), next_cursor: items.length > limit ? String(page[page.length - 1]!.version) : null };
  }

  /** INTERFACES.md "The dataset report". */
  async report(actor: Actor, ref: string): Promise<DatasetReport> {
    requireRole(actor, 'viewer', 'Reading dataset reports');
    const v = await this.resolve(ref);
    return { dataset: v.dataset, version: v.version, records: v.records, profile: v.profile as unknown as Record<string, unknown>, findings: v.findings };
  }

  async preview(actor: Actor, ref: string, options: { limit?: number; offset?: number } = {}): Promise<RowsResult & { offset: number; total: number }> {
    requireRole(actor, 'viewer', 'Reading datasets');
    const v = await this.resolve(ref);
    const limit = Math.min(Math.max(options.limit ?? 20, 1), 1_000);
    const offset = Math.max(options.offset ?? 0, 0);
    const file = await this.deps.cache.path(v.parquet_sha256);
    const rows = await runReadOnlyQuery(file, `SELECT * FROM data LIMIT ${limit} OFFSET ${offset}`, { limit, timeoutMs: 30_000 });
    return { ...rows, truncated: offset + rows.rows.length < v.records, offset, total: v.records };
  }

  async query(actor: Actor, ref: string, input: QueryInput): Promise<RowsResult> {
    requireRole(actor, 'viewer', 'Querying datasets');
    const parsed = QueryInputSchema.safeParse(input);
    if (!parsed.success) throw new ValidationError('dataset_query_invalid', `Invalid query input: ${parsed.error.issues[0]!.message}.`);
    const v = await this.resolve(ref);
    const file = await this.deps.cache.path(v.parquet_sha256);
    return runReadOnlyQuery(file, parsed.data.sql, { limit: parsed.data.limit, timeoutMs: parsed.data.timeout_ms });
  }

  /** The version as Parquet (its blob) or JSONL (written by DuckDB to a temp file, removed once read). */
  async export(actor: Actor, ref: string, format: 'jsonl' | 'parquet'): Promise<ExportFile> {
    requireRole(actor, 'viewer', 'Exporting datasets');
    const v = await this.resolve(ref);
    const base = `${v.dataset}-v${v.version}`;
    if (format === 'parquet') return { stream: await this.deps.blobs.get(v.parquet_sha256), contentType: 'application/vnd.apache.parquet', filename: `${base}.parquet` };
    const file = await this.deps.cache.path(v.parquet_sha256);
    await mkdir(this.deps.workDir, { recursive: true });
    const out = path.join(this.deps.workDir, `export-${v.id}-${process.pid}-${Date.now()}.jsonl`);
    const duck = await openDuck({ threads: 2, memoryLimit: '256MB' });
    try {
      await duck.connection.run(`COPY (SELECT * FROM read_parquet(${sqlString(file)})) TO ${sqlString(out)} (FORMAT json)`);
    } finally {
      duck.close();
    }
    const stream = createReadStream(out);
    stream.once('close', () => void rm(out, { force: true }));
    return { stream, contentType: 'application/x-ndjson', filename: `${base}.jsonl` };
  }

  async diff(actor: Actor, fromRef: string, toRef: string, key?: string): Promise<DiffResult> {
    requireRole(actor, 'viewer', 'Comparing datasets');
    const [a, b] = [await this.resolve(fromRef), await this.resolve(toRef)];
    if (key !== undefined) {
      for (const v of [a, b]) {
        if (!v.columns.some((c) => c.name === key)) throw new ValidationError('dataset_diff_key_missing', `${v.ref} has no column "${key}" to match rows by. Columns: ${v.columns.map((c) => c.name).join(', ')}.`);
      }
    }
    const [fa, fb] = [await this.deps.cache.path(a.parquet_sha256), await this.deps.cache.path(b.parquet_sha256)];
    return diffParquet(fa, fb, { from: a.ref, to: b.ref }, key);
  }

  /** Deletes one version; refuses while another version (a derived one) depends on it, naming them. */
  async delete(actor: Actor, ref: string): Promise<DatasetVersion> {
    requireRole(actor, 'editor', 'Deleting dataset versions');
    const parsed = parseDatasetRef(ref);
    if (parsed.version === 'latest') {
      throw new ValidationError('dataset_delete_needs_version', `Deleting needs an explicit version: write ${parsed.name}@N (see crucible dataset versions ${parsed.name}).`);
    }
    const v = await this.resolve(ref);
    const dependents = await this.deps.store.childrenOf(v.id);
    if (dependents.length > 0) {
      throw new ConflictError('dataset_version_in_use', `${v.ref} cannot be deleted: ${dependents.join(', ')} ${dependents.length === 1 ? 'depends' : 'depend'} on it. Delete those first.`, { dependents });
    }
    await this.deps.store.deleteVersion(v.id);
    for (const sha of new Set([v.parquet_sha256, v.source_sha256])) {
      if (!(await this.deps.store.blobInUse(sha))) {
        await this.deps.blobs.delete(sha);
        await this.deps.cache.evict(sha);
      }
    }
    return versionView(v);
  }

  private async resolve(ref: string): Promise<StoredVersion> {
    const parsed = parseDatasetRef(ref);
    const v = await this.deps.store.findVersion(parsed.name, parsed.version);
    if (v) return v;
    if (!(await this.deps.store.datasetExists(parsed.name))) throw datasetNotFound(parsed.name);
    throw new NotFoundError('dataset_version_not_found', `${parsed.name} has no version ${parsed.version}. List them with: crucible dataset versions ${parsed.name}`, { ref: formatRef(parsed.name, Number(parsed.version)) });
  }
}

function datasetNotFound(name: string): NotFoundError {
  return new NotFoundError('dataset_not_found', `No dataset named "${name}". List datasets with: crucible dataset list`, { name });
}

function unknownFormat(label: string): ValidationError {
  return new ValidationError('dataset_format_unknown', `Cannot tell the format of ${label} from its name. Pass --format jsonl|csv|tsv|parquet|text|zip.`, { file: label });
}
