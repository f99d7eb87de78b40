/**
 * The JSONL pass: parses every line (each must be a JSON object), hands records to the validator,
 * and refuses the first malformed line with its number, or skips and counts malformed lines.
 * With `cleanedTo`, it also writes the good lines to a file for DuckDB to convert.
 */
import { ValidationError } from '../platform/errors.js';
import { readLinesIntoRing, type LineRing, type RingChunk, type SlotLender } from './line-ring.js';
import { readLineBatches } from './lines.js';
import { JsonlWriter, recordId, textOf, type PassProgress, type RecordHandler } from './record-sink.js';

export interface JsonlPassOptions {
  label: string;
  textField: string;
  skipBadLines: boolean;
  onRecord: RecordHandler;
  onProgress?: PassProgress;
  /** Awaited after each batch of lines (backpressure from the validator threads). */
  afterBatch?: () => Promise<void>;
  cleanedTo?: string;
  signal?: AbortSignal;
}

export interface JsonlPassResult {
  records: number;
  skipped: number;
  /** The first skipped line, for the log. */
  firstSkipped: number | null;
}

export async function scanJsonl(file: string, options: JsonlPassOptions): Promise<JsonlPassResult> {
  const writer = options.cleanedTo ? new JsonlWriter(options.cleanedTo) : undefined;
  let records = 0;
  let skipped = 0;
  let firstSkipped: number | null = null;
  try {
    for await (const batch of readLineBatches(file, { signal: options.signal, label: options.label })) {
      records = parseJsonlLines(batch.lines, batch.firstLine, records, options.textField, true, options.onRecord, (lineNo, why) => {
        if (!options.skipBadLines) throw badLine(options.label, lineNo, why);
        skipped++;
        firstSkipped ??= lineNo;
        return true;
      }, writer ? (line) => writer.push(line) : undefined);
      await writer?.flush();
      await options.afterBatch?.();
      options.onProgress?.(records, batch.bytesRead);
    }
    await writer?.close();
  } catch (err) {
    writer?.destroy();
    throw err;
  }
  return { records, skipped, firstSkipped };
}

/**
 * The JSONL pass when the validator threads parse the lines themselves: chunks of whole lines
 * are read into `ring` and go to `sink` undecoded; a malformed line surfaces through the
 * validator (its drain rejects).
 */
export async function streamJsonl(
  file: string,
  options: {
    label: string;
    ring: LineRing;
    lender: SlotLender;
    sink: (chunk: RingChunk) => void;
    afterBatch: () => Promise<void>;
    /** Resolves once every chunk is parsed, so that a malformed last line fails the pass. */
    settle: () => Promise<void>;
    onProgress?: (bytesRead: number) => void;
    signal?: AbortSignal;
  },
): Promise<void> {
  for await (const chunk of readLinesIntoRing(file, options.ring, options.lender, { ...(options.signal ? { signal: options.signal } : {}), label: options.label })) {
    options.sink(chunk);
    await options.afterBatch();
    options.onProgress?.(chunk.bytesRead);
  }
  await options.settle();
}

/**
 * Parses a batch of JSONL lines (line `firstLine` first): every non-blank line must be a JSON
 * object and becomes a record (its id: the `id` field, else its index among the records). A bad
 * line goes to `onBad`, which returns true to skip it or false to stop. Returns the records
 * counted so far. Shared by the main-thread pass and the validator threads (which parse the
 * chunks they are sent), so that both number lines and records alike.
 */
export function parseJsonlLines(
  lines: readonly string[],
  firstLine: number,
  recordsBefore: number,
  textField: string,
  withFields: boolean,
  onRecord: RecordHandler,
  onBad: (line: number, why: string) => boolean,
  onGood?: (line: string) => void,
): number {
  let records = recordsBefore;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const problem = parseProblem(line);
    if (typeof problem === 'string') {
      if (onBad(firstLine + i, problem)) continue;
      return records;
    }
    const text = textOf(problem[textField]);
    onRecord(withFields ? { id: recordId(problem.id, records), text, fields: problem } : { id: recordId(problem.id, records), text });
    records++;
    onGood?.(line);
  }
  return records;
}

/** The parsed object, or why the line is not one. */
function parseProblem(line: string): Record<string, unknown> | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    return (err as Error).message;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return `expected a JSON object, got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`;
  return value as Record<string, unknown>;
}

/** The refusal of a malformed line, with its number and the way out. */
export function badLine(label: string, line: number, why: string): ValidationError {
  const at = line.toLocaleString('en-US');
  return new ValidationError(
    'dataset_bad_line',
    `Line ${at} of ${label} is not a valid JSON object (${why}). Fix that line, or pass --skip-bad-lines to ingest without malformed lines (they are counted).`,
    { line, reason: why },
  );
}
