/**
 * Ingest: a source file becomes a dataset version. Long work (run by the `dataset.ingest` job
 * handler, or directly by callers that own a process, such as the benchmark): it takes an
 * AbortSignal and reports progress.
 *
 *   source ─▶ sniff (empty? binary?) ─▶ format pass ─▶ validator (findings)
 *          ─▶ DuckDB COPY ─▶ Parquet ─▶ profile   (beside it: the original copied into the blobs)
 *          ─▶ blobs (Parquet) ─▶ version row (one transaction)
 *
 * For JSONL and text, a Node pass parses every line for the validator, and DuckDB converts the
 * file once the validator has finished (their memory peaks never add up); CSV/TSV are
 * shape-checked first, Parquet goes straight to DuckDB, and their records are streamed back out
 * of the Parquet into the validator. Bad input throws a ValidationError and leaves no version
 * and no blob behind.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { BlobRef, BlobStore } from '../platform/blobs/index.js';
import { ValidationError } from '../platform/errors.js';
import { convertAndValidate } from './ingest-passes.js';
import type { DatasetFormat, IngestOptions } from './schema.js';
import { formatFromName } from './sniff.js';
import type { DatasetStore, StoredVersion } from './store.js';

export interface IngestProgress {
  phase: 'checking' | 'converting' | 'validating' | 'profiling' | 'storing';
  /** Source bytes read (or records, for Parquet sources). */
  done: number;
  total?: number;
}

export interface IngestSource {
  /** A local file, or a folder of .txt/.md files. */
  file: string;
  /** How messages name it (the user's file name, never a server temp path). */
  label: string;
  /** Known when the source is already a blob (an upload). */
  sha256?: string;
}

export interface IngestRequest {
  name: string;
  source: IngestSource;
  options: Omit<IngestOptions, 'format'> & { format?: DatasetFormat };
  createdBy: string | null;
  /** The source blob came from an upload for this ingest: remove it again when the ingest fails. */
  discardSourceOnFailure?: boolean;
}

export interface IngestDeps {
  store: DatasetStore;
  blobs: BlobStore;
  /** Scratch space; a subfolder is made per ingest and removed after. */
  workDir: string;
}

export interface IngestResult {
  version: StoredVersion;
  /** False when the same content was already a version of this dataset. */
  created: boolean;
  /** Malformed lines skipped (--skip-bad-lines). */
  skipped: number;
}

export interface RunControl {
  signal?: AbortSignal;
  onProgress?: (progress: IngestProgress) => void;
  /** DuckDB memory limit during the ingest (spills beyond it). */
  duckMemoryLimit?: string;
  /** Validate on two worker threads, or on the calling thread; default: two from 32 MB of input up. */
  validatorThreads?: 1 | 2;
}

/** Ingests one source into a new (or the existing identical) version of dataset `name`. */
export async function ingestDataset(deps: IngestDeps, request: IngestRequest, control: RunControl = {}): Promise<IngestResult> {
  const { source, options } = request;
  const info = await stat(source.file).catch(() => null);
  if (!info) throw new ValidationError('dataset_source_missing', `${source.label} does not exist. Check the path.`, { file: source.label });
  const format = info.isDirectory() ? 'text' : (options.format ?? formatFromName(source.label));
  if (!format) {
    throw new ValidationError('dataset_format_unknown', `Cannot tell the format of ${source.label} from its name. Pass --format jsonl|csv|tsv|parquet|text|zip.`, { file: source.label });
  }
  const sha256 = info.isDirectory() ? await folderKey(source.file) : (source.sha256 ?? (await sha256File(source.file)));
  const contentKey = contentKeyOf(sha256, format, options);
  const existing = await deps.store.findByContent(request.name, contentKey);
  if (existing) return { version: existing, created: false, skipped: existing.skipped_lines };

  const scratch = path.join(deps.workDir, `ingest-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`);
  await mkdir(scratch, { recursive: true });
  const created: string[] = [];
  const sourceSize = info.isDirectory() ? 0 : info.size;
  const copySource = !info.isDirectory() && !(await deps.blobs.has(sha256));
  // The original is stored while DuckDB converts (an upload is stored already): not while the
  // validator runs, whose peak the copy's buffers would add to.
  let storeSource: Promise<BlobRef> | undefined;
  const startStoringSource = () => {
    if (!copySource || storeSource) return;
    storeSource = deps.blobs.put(createReadStream(source.file), { signal: control.signal });
    storeSource.then((ref) => created.push(ref.sha256), () => undefined);
  };
  try {
    const result = await convertAndValidate({ source, format, options, scratch, control, isFolder: info.isDirectory(), beforeConversion: startStoringSource });
    control.onProgress?.({ phase: 'storing', done: 0 });
    startStoringSource();
    const sourceRef = storeSource ? await storeSource : { sha256, size: sourceSize };
    const parquet = await deps.blobs.put(createReadStream(result.parquet));
    if (!(await deps.store.blobInUse(parquet.sha256))) created.push(parquet.sha256);
    const profile = result.profile;
    const inserted = await deps.store.insertVersion(request.name, request.createdBy, {
      content_key: contentKey,
      format,
      text_field: options.textField,
      source_name: source.label,
      source_sha256: sourceRef.sha256,
      source_size: sourceRef.size,
      parquet_sha256: parquet.sha256,
      parquet_size: parquet.size,
      records: result.records,
      skipped_lines: result.skipped,
      options: JSON.stringify({ text_field: options.textField, skip_bad_lines: options.skipBadLines, validation: options.validation }),
      profile: JSON.stringify(profile),
      findings: JSON.stringify(result.findings),
      parent_version_id: null,
      recipe: null,
    });
    return { version: inserted.version, created: inserted.created, skipped: result.skipped };
  } catch (err) {
    await storeSource?.catch(() => undefined);
    if (request.discardSourceOnFailure && source.sha256) created.push(source.sha256);
    for (const sha of created) if (!(await deps.store.blobInUse(sha))) await deps.blobs.delete(sha).catch(() => undefined);
    throw err;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}


export function contentKeyOf(sourceSha256: string, format: DatasetFormat, options: IngestRequest['options']): string {
  const canonical = JSON.stringify({ v: 1, source: sourceSha256, format, text_field: options.textField, skip_bad_lines: options.skipBadLines, validation: sortKeys(options.validation) });
  return createHash('sha256').update(canonical).digest('hex');
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, sortKeys(v)]));
  return value;
}

/**
 * The sha256 of a file, read through one reused buffer: a stream's fresh buffer per chunk would
 * leave up to ~64 MB of garbage on the heap of a 1 GB source until V8 next collects it.
 */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(1 << 20);
  const handle = await open(file, 'r');
  try {
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}

/** A folder's identity: the hash of its .txt/.md files' paths and contents. */
async function folderKey(dir: string): Promise<string> {
  const { readdir } = await import('node:fs/promises');
  const files = (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((d) => d.isFile() && /\.(txt|md|markdown|text)$/i.test(d.name))
    .map((d) => path.join(d.parentPath, d.name))
    .sort();
  const hash = createHash('sha256');
  for (const file of files) hash.update(path.relative(dir, file)).update('\0').update(await sha256File(file));
  return hash.digest('hex');
}
