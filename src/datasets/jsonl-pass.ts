/**
 * The JSONL pass: parses every line (each must be a JSON object), hands records to the validator,
 * and refuses the first malformed line with its number, or skips and counts malformed lines.
 * With `cleanedTo`, it also writes the good lines to a file for DuckDB to convert.
 */
import { ValidationError } from '../platform/errors.js';
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
      for (let i = 0; i < batch.lines.length; i++) {
        const line = batch.lines[i]!;
        if (line.trim() === '') continue;
        const problem = parseProblem(line);
        if (typeof problem === 'string') {
          const lineNo = batch.firstLine + i;
          if (!options.skipBadLines) throw badLine(options.label, lineNo, problem);
          skipped++;
          firstSkipped ??= lineNo;
          continue;
        }
        options.onRecord({ id: recordId(problem.id, records), text: textOf(problem[options.textField]), fields: problem });
        records++;
        writer?.push(line);
      }
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

function badLine(label: string, line: number, why: string): ValidationError {
  const at = line.toLocaleString('en-US');
  return new ValidationError(
    'dataset_bad_line',
    `Line ${at} of ${label} is not a valid JSON object (${why}). Fix that line, or pass --skip-bad-lines to ingest without malformed lines (they are counted).`,
    { line, reason: why },
  );
}
