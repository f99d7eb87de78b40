/**
 * Ingest: a source file becomes a dataset version. Long work (run by the `dataset.ingest` job
 * handler, or directly by callers that own a process, such as the benchmark): it takes an
 * AbortSignal and reports progress.
 *
 *   source ─▶ sniff (empty? binary?) ─▶ format pass ─┬▶ validator (findings)
 *                                                    └▶ DuckDB COPY ─▶ Parquet ─▶ profile
 *          ─▶ blobs (Parquet + original) ─▶ version row (one transaction)
 *
 * For JSONL and text, a Node pass parses every line for the validator while DuckDB converts the
 * file on its own thread; CSV/TSV are shape-checked first, Parquet goes straight to DuckDB, and
 * their records are streamed back out of the Parquet into the validator. Bad input throws a
 * ValidationError and leaves no version and no blob behind.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { BlobStore } from '../platform/blobs/index.js';
import { ValidationError } from '../platform/errors.js';
import { convertToParquet, type ConvertSource } from './convert.js';
import { checkCsvShape } from './csv-check.js';
import { openDuck, type Duck } from './duck.js';
import { scanJsonl } from './jsonl-pass.js';
import { parquetRecords } from './parquet-records.js';
import { profileParquet, type DatasetProfile } from './profile.js';
import type { RecordHandler } from './record-sink.js';
import type { DatasetFormat, IngestOptions } from './schema.js';
import { formatFromName, sniffFile } from './sniff.js';
import type { DatasetStore, StoredVersion } from './store.js';
import { scanFolder, scanTextLines, scanZip } from './text-pass.js';
import { Validator } from './validation/index.js';

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
  // The original is stored while the records are validated (an upload is stored already).
  const sourceSize = info.isDirectory() ? 0 : info.size;
  const storeSource = !info.isDirectory() && !(await deps.blobs.has(sha256)) ? deps.blobs.put(createReadStream(source.file), { signal: control.signal }) : undefined;
  storeSource?.then((ref) => created.push(ref.sha256), () => undefined);
  try {
    const result = await convertAndValidate(source, format, options, scratch, control, info.isDirectory());
    control.onProgress?.({ phase: 'storing', done: 0 });
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

interface Converted {
  parquet: string;
  records: number;
  skipped: number;
  profile: DatasetProfile;
  findings: ReturnType<Validator['finish']>['findings'];
}

async function convertAndValidate(
  source: IngestSource,
  format: DatasetFormat,
  options: IngestRequest['options'],
  scratch: string,
  control: RunControl,
  isFolder: boolean,
): Promise<Converted> {
  const { signal, onProgress } = control;
  const label = source.label;
  const parquet = path.join(scratch, 'data.parquet');
  const validator = new Validator(options.validation);
  const onRecord: RecordHandler = (record) => validator.add(record);
  const total = isFolder ? undefined : (await stat(source.file)).size;
  const progress = (_records: number, bytes: number) => onProgress?.({ phase: 'validating', done: bytes, ...(total ? { total } : {}) });
  if (!isFolder) await sniffFile(source.file, format, label);
  onProgress?.({ phase: 'checking', done: 0, ...(total ? { total } : {}) });

  let skipped = 0;
  let records: number;
  let profile: DatasetProfile | undefined;
  const profileOf = async (duck: Duck, rows: number) =>
    rows === 0 || !(await hasColumn(duck, parquet, options.textField))
      ? undefined
      : profileParquet(duck, parquet, options.textField, { source: total ?? 0, parquet: (await stat(parquet)).size });
  if (format === 'jsonl' && !options.skipBadLines) {
    // The Node pass and DuckDB's conversion run at the same time, on different cores.
    const scan = scanJsonl(source.file, { label, textField: options.textField, skipBadLines: false, onRecord, onProgress: progress, signal });
    scan.catch(() => undefined); // awaited below; this only keeps an early failure from counting as unhandled
    records = await withDuck(scratch, { ...control, threads: 1 }, async (duck) => {
      // DuckDB converts and profiles on its own thread while the validator runs on this one.
      const copy = convertToParquet(duck, { kind: 'jsonl', file: source.file }, parquet, label, await rowGroupRows(source.file)).then(async (rows) => {
        profile = await profileOf(duck, rows);
        return rows;
      });
      copy.catch(() => undefined);
      try {
        await scan;
      } catch (err) {
        duck.connection.interrupt();
        await copy.catch(() => undefined);
        throw err;
      }
      return copy;
    });
  } else if (format === 'jsonl' || format === 'text' || format === 'zip') {
    const jsonl = path.join(scratch, 'records.jsonl');
    const passOptions = { label, textField: options.textField, out: jsonl, onRecord, onProgress: progress, ...(signal ? { signal } : {}) };
    if (format === 'jsonl') {
      skipped = (await scanJsonl(source.file, { ...passOptions, skipBadLines: true, cleanedTo: jsonl })).skipped;
    } else if (isFolder) {
      await scanFolder(source.file, passOptions);
    } else if (format === 'zip') {
      await scanZip(source.file, passOptions);
    } else {
      await scanTextLines(source.file, passOptions);
    }
    if (validator.records === 0) throw noRecords(label, skipped);
    onProgress?.({ phase: 'converting', done: 0 });
    records = await withDuck(scratch, control, async (duck) => {
      const rows = await convertToParquet(duck, { kind: 'jsonl', file: jsonl }, parquet, label, await rowGroupRows(jsonl));
      profile = await profileOf(duck, rows);
      return rows;
    });
  } else {
    const convertSource: ConvertSource =
      format === 'parquet' ? { kind: 'parquet', file: source.file } : { kind: 'csv', file: source.file, delimiter: format === 'tsv' ? '\t' : ',' };
    if (convertSource.kind === 'csv') await checkCsvShape(source.file, convertSource.delimiter, label, signal);
    onProgress?.({ phase: 'converting', done: 0 });
    records = await withDuck(scratch, control, async (duck) => {
      const rows = await convertToParquet(duck, convertSource, parquet, label, convertSource.kind === 'csv' ? await rowGroupRows(source.file) : 20_000);
      const hasText = await hasColumn(duck, parquet, options.textField);
      await validator.run(parquetRecords(duck, parquet, options.textField, hasText), {
        ...(signal ? { signal } : {}),
        onProgress: (p) => onProgress?.({ phase: 'validating', done: p.records, total: rows }),
      });
      profile = await profileOf(duck, rows);
      return rows;
    });
  }
  if (records === 0) throw noRecords(label, skipped);
  await withDuck(scratch, control, async (duck) => {
    if (!(await hasColumn(duck, parquet, options.textField))) {
      const columns = await columnNames(duck, parquet);
      throw new ValidationError(
        'dataset_text_field_missing',
        `${label} has no field "${options.textField}" (it has: ${columns.join(', ')}). Name the text field with --text-field.`,
        { text_field: options.textField, columns },
      );
    }
  });
  const { findings } = validator.finish();
  if (!profile) throw new Error('ingest: the profile was not computed');
  return { parquet, records, skipped, findings, profile };
}

function noRecords(label: string, skipped: number): ValidationError {
  return new ValidationError('dataset_empty', `${label} holds no records${skipped > 0 ? ` (all ${skipped} lines were malformed and skipped)` : ''}: there is nothing to ingest.`, { file: label, skipped });
}

async function withDuck<T>(scratch: string, control: RunControl & { threads?: number }, fn: (duck: Duck) => Promise<T>): Promise<T> {
  const duck = await openDuck({ memoryLimit: control.duckMemoryLimit ?? '128MB', tempDirectory: path.join(scratch, 'duckdb-tmp'), ...(control.threads ? { threads: control.threads } : {}) });
  const onAbort = () => duck.connection.interrupt();
  control.signal?.addEventListener('abort', onAbort);
  try {
    control.signal?.throwIfAborted();
    return await fn(duck);
  } finally {
    control.signal?.removeEventListener('abort', onAbort);
    duck.close();
  }
}

/**
 * Rows per Parquet row group for about 16 MB of records each (DuckDB buffers a whole row group
 * while writing it, and must keep insertion order), from the average line of the first megabyte.
 */
async function rowGroupRows(file: string): Promise<number> {
  const { open } = await import('node:fs/promises');
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(1 << 20);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    let lines = 0;
    for (let i = buffer.indexOf(10); i >= 0 && i < bytesRead; i = buffer.indexOf(10, i + 1)) lines++;
    const average = bytesRead / Math.max(1, lines);
    return Math.max(1_024, Math.min(100_000, Math.floor((16 << 20) / average)));
  } finally {
    await handle.close();
  }
}

async function columnNames(duck: Duck, parquet: string): Promise<string[]> {
  const rows = await (await duck.connection.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${parquet.replaceAll("'", "''")}')`)).getRowObjectsJS();
  return rows.map((r) => String(r.column_name));
}

async function hasColumn(duck: Duck, parquet: string, name: string): Promise<boolean> {
  return (await columnNames(duck, parquet)).includes(name);
}

/** What makes two ingests the same version: the source bytes and every option that shapes the result. */
export function contentKeyOf(sourceSha256: string, format: DatasetFormat, options: IngestRequest['options']): string {
  const canonical = JSON.stringify({ v: 1, source: sourceSha256, format, text_field: options.textField, skip_bad_lines: options.skipBadLines, validation: sortKeys(options.validation) });
  return createHash('sha256').update(canonical).digest('hex');
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, sortKeys(v)]));
  return value;
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
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
