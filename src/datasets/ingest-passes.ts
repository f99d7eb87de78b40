/**
 * The format passes of an ingest (ingest.ts): for JSONL and text, a Node pass parses every line
 * for the validator, and DuckDB converts the file and profiles the Parquet once the validator is
 * done (one after the other, so that their memory peaks never add up: decision 012); CSV and TSV
 * are shape-checked first; Parquet goes straight to DuckDB; for both, records are streamed back
 * out of the Parquet into the validator. The validator runs on two worker threads for large
 * inputs (parallel-validator.ts).
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { ValidationError } from '../platform/errors.js';
import { convertToParquet, type ConvertSource } from './convert.js';
import { checkCsvShape } from './csv-check.js';
import { openDuck, sqlString, type Duck } from './duck.js';
import type { IngestRequest, IngestSource, RunControl } from './ingest.js';
import { badLine, scanJsonl, streamJsonl } from './jsonl-pass.js';
import { meanLineBytes } from './lines.js';
import { InlineValidator, ParallelValidator, type RecordValidator } from './parallel-validator.js';
import { parquetRecords } from './parquet-records.js';
import { profileParquet, type DatasetProfile } from './profile.js';
import type { RecordHandler } from './record-sink.js';
import type { DatasetFormat } from './schema.js';
import { sniffFile } from './sniff.js';
import { scanFolder, scanTextLines, scanZip } from './text-pass.js';
import type { ValidationResult } from './validation/index.js';

const PROGRESS_BYTES = 8 << 20;

export interface Converted {
  parquet: string;
  records: number;
  skipped: number;
  profile: DatasetProfile;
  findings: ValidationResult['findings'];
}

export interface PassInput {
  source: IngestSource;
  format: DatasetFormat;
  options: IngestRequest['options'];
  scratch: string;
  control: RunControl;
  isFolder: boolean;
  /** Called as DuckDB starts converting (the caller copies the source into the blob store beside it). */
  beforeConversion?: () => void;
}

/** Checks, converts, profiles and validates one source into `scratch/data.parquet`. */
export async function convertAndValidate(input: PassInput): Promise<Converted> {
  const total = input.isFolder ? undefined : (await stat(input.source.file)).size;
  // Starting the threads costs about a second; below 32 MB the calling thread is as fast.
  const threads = input.control.validatorThreads ?? ((total ?? 0) >= 32 << 20 ? 2 : 1);
  const { options, source } = input;
  // JSONL without --skip-bad-lines: the threads parse the lines (nothing is written for DuckDB).
  const jsonl = input.format === 'jsonl' && !options.skipBadLines ? { textField: options.textField, badLine: (line: number, why: string) => badLine(source.label, line, why) } : undefined;
  // Lines to come, roughly, for the duplicate tables to be sized once instead of doubling.
  const expectedRecords = total !== undefined && total > 0 && (input.format === 'jsonl' || input.format === 'text') ? Math.ceil(total / (await meanLineBytes(source.file))) : undefined;
  const validator: RecordValidator = threads === 2 ? new ParallelValidator(options.validation, jsonl, expectedRecords) : new InlineValidator(options.validation, expectedRecords);
  try {
    return await runPasses(input, validator, total);
  } finally {
    validator.close();
  }
}

async function runPasses(input: PassInput, validator: RecordValidator, total: number | undefined): Promise<Converted> {
  const { source, format, options, scratch, control, isFolder } = input;
  const { signal, onProgress } = control;
  const label = source.label;
  const parquet = path.join(scratch, 'data.parquet');
  const onRecord: RecordHandler = (record) => validator.add(record);
  const afterBatch = () => validator.drain();
  // A job's progress becomes an event row and an IPC message: one per 8 MB read, not per chunk.
  let reported = -Infinity;
  const progress = (_records: number, bytes: number) => {
    if (bytes - reported < PROGRESS_BYTES) return;
    reported = bytes;
    onProgress?.({ phase: 'validating', done: bytes, ...(total ? { total } : {}) });
  };
  if (!isFolder) await sniffFile(source.file, format, label);
  onProgress?.({ phase: 'checking', done: 0, ...(total ? { total } : {}) });

  let records: number;
  let validation: ValidationResult;
  let skipped = 0;
  if (format === 'jsonl' || format === 'text' || format === 'zip') {
    // Node validates first, and DuckDB converts after: the validator's threads (and their
    // indexes) are gone before DuckDB's working set arrives, so the two peaks never add up.
    let convertFrom = source.file;
    if (format === 'jsonl' && !options.skipBadLines) {
      await (validator instanceof ParallelValidator && validator.ring
        ? streamJsonl(source.file, { label, ring: validator.ring, lender: validator, sink: (chunk) => validator.addJsonlChunk(chunk), afterBatch, settle: () => validator.settle(), onProgress: (bytes) => progress(validator.records, bytes), ...(signal ? { signal } : {}) })
        : scanJsonl(source.file, { label, textField: options.textField, skipBadLines: false, onRecord, onProgress: progress, afterBatch, signal }));
    } else {
      // DuckDB converts what the pass writes: a text source's records as JSONL, or a JSONL without
      // its malformed lines (DuckDB's ignore_errors would keep them as null rows).
      convertFrom = path.join(scratch, 'records.jsonl');
      const passOptions = { label, textField: options.textField, out: convertFrom, onRecord, onProgress: progress, afterBatch, ...(signal ? { signal } : {}) };
      if (format === 'jsonl') {
        skipped = (await scanJsonl(source.file, { ...passOptions, skipBadLines: true, cleanedTo: convertFrom })).skipped;
      } else if (isFolder) {
        await scanFolder(source.file, passOptions);
      } else if (format === 'zip') {
        await scanZip(source.file, passOptions);
      } else {
        await scanTextLines(source.file, passOptions);
      }
    }
    // Threads that parse JSONL themselves know their count only at the end.
    validation = await validator.finish();
    if (validation.records === 0) throw noRecords(label, skipped);
    onProgress?.({ phase: 'converting', done: 0 });
    input.beforeConversion?.();
    // One thread: DuckDB's parallel JSON read, keeping insertion order, took more time and 2.5×
    // the memory on a 1 GB JSONL.
    records = await withDuck(scratch, { ...control, threads: 1 }, async (duck) => convertToParquet(duck, { kind: 'jsonl', file: convertFrom }, parquet, label, await rowGroupRows(convertFrom)));
  } else {
    const convertSource: ConvertSource =
      format === 'parquet' ? { kind: 'parquet', file: source.file } : { kind: 'csv', file: source.file, delimiter: format === 'tsv' ? '\t' : ',' };
    if (convertSource.kind === 'csv') await checkCsvShape(source.file, convertSource.delimiter, label, signal);
    onProgress?.({ phase: 'converting', done: 0 });
    input.beforeConversion?.();
    records = await withDuck(scratch, control, async (duck) => {
      const rows = await convertToParquet(duck, convertSource, parquet, label, convertSource.kind === 'csv' ? await rowGroupRows(source.file) : 20_000);
      const hasText = await hasColumn(duck, parquet, options.textField);
      for await (const record of parquetRecords(duck, parquet, options.textField, hasText)) {
        validator.add(record);
        if (validator.records % 1_000 === 0) {
          signal?.throwIfAborted();
          await validator.drain();
          onProgress?.({ phase: 'validating', done: validator.records, total: rows });
        }
      }
      return rows;
    });
    validation = await validator.finish();
  }
  if (records === 0) throw noRecords(label, skipped);
  if (validation.records !== records) {
    // Record ids in the report are row positions: the Node pass and DuckDB must agree on the rows.
    throw new Error(`ingest of ${label}: the validator saw ${validation.records} records but DuckDB wrote ${records} rows`);
  }
  // The profile gets an instance of its own: the conversion's buffers go with the first one
  // (36 MB less at this phase's peak on a 1 GB JSONL than profiling in the same instance).
  const profile = await withDuck(scratch, control, async (duck) => {
    if (!(await hasColumn(duck, parquet, options.textField))) {
      const columns = await columnNames(duck, parquet);
      throw new ValidationError(
        'dataset_text_field_missing',
        `${label} has no field "${options.textField}" (it has: ${columns.join(', ')}). Name the text field with --text-field.`,
        { text_field: options.textField, columns },
      );
    }
    return profileParquet(duck, parquet, options.textField, { source: total ?? 0, parquet: (await stat(parquet)).size });
  });
  return { parquet, records, skipped, findings: validation.findings, profile };
}

function noRecords(label: string, skipped: number): ValidationError {
  return new ValidationError('dataset_empty', `${label} holds no records${skipped > 0 ? ` (all ${skipped} lines were malformed and skipped)` : ''}: there is nothing to ingest.`, { file: label, skipped });
}

export async function withDuck<T>(scratch: string, control: RunControl & { threads?: number }, fn: (duck: Duck) => Promise<T>): Promise<T> {
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
 * Rows per Parquet row group for about 6 MB of records each (DuckDB buffers a whole row group
 * while writing it, and must keep insertion order), from the file's mean line length. 16 MB
 * groups cost ~50 MB more peak RSS on a 128 MB JSONL for no measurable gain in speed.
 */
async function rowGroupRows(file: string): Promise<number> {
  return Math.max(1_024, Math.min(100_000, Math.floor((6 << 20) / (await meanLineBytes(file)))));
}

async function columnNames(duck: Duck, parquet: string): Promise<string[]> {
  const rows = await (await duck.connection.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${sqlString(parquet)})`)).getRowObjectsJS();
  return rows.map((r) => String(r.column_name));
}

async function hasColumn(duck: Duck, parquet: string, name: string): Promise<boolean> {
  return (await columnNames(duck, parquet)).includes(name);
}
