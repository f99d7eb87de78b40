/**
 * Runs a validated recipe over a version's Parquet, streaming: consecutive SQL steps become one
 * sandboxed DuckDB SELECT that feeds the record steps after it, whose output is written as JSONL.
 * A SQL step after record steps reads that JSONL back as Parquet (one extra pass, only then).
 *
 *   parquet ─▶ [SELECT … WHERE … (sandbox)] ─▶ record steps ─▶ stage.jsonl ─▶ (parquet ─▶ …)
 *
 * Each step's records in and out are counted, for the job's log and result.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { ValidationError } from '../../platform/errors.js';
import { convertToParquet } from '../convert.js';
import { openDuck } from '../duck.js';
import type { Recipe } from './recipe.js';
import { sandboxRows } from './sql-sandbox.js';
import { STEP_KINDS } from './steps/index.js';
import type { RecordStep, Row, SchemaState, SqlStep } from './types.js';

export interface StepStats {
  step: string;
  records_in: number;
  records_out: number;
}

export interface PipelineControl {
  signal?: AbortSignal;
  onProgress?: (done: number, total: number | undefined, message: string) => void;
}

export interface PipelineResult {
  /** The output records, one JSON object per line. */
  jsonl: string;
  records: number;
  stats: StepStats[];
}

interface Built {
  index: number;
  kind: string;
  run: RecordStep | SqlStep;
}

/** Writes rows as JSONL with backpressure (flushes about 1 MB at a time). */
class JsonlWriter {
  private readonly out;
  private buffer: string[] = [];
  private size = 0;
  count = 0;

  constructor(file: string) {
    this.out = createWriteStream(file);
  }

  write(row: Row): void {
    const line = JSON.stringify(row) + '\n';
    this.buffer.push(line);
    this.size += line.length;
    this.count++;
  }

  async flush(force = false): Promise<void> {
    if (!force && this.size < 1 << 20) return;
    if (this.buffer.length && !this.out.write(this.buffer.join(''))) await once(this.out, 'drain');
    this.buffer = [];
    this.size = 0;
  }

  async close(): Promise<void> {
    await this.flush(true);
    this.out.end();
    await once(this.out, 'close');
  }
}

/** Runs `recipe` (with the schema each step sees, from validateRecipe) over `parquet` in `scratch`. */
export async function runPipeline(recipe: Recipe, states: SchemaState[], input: { parquet: string; records: number }, scratch: string, control: PipelineControl = {}): Promise<PipelineResult> {
  const built: Built[] = recipe.steps.map((s, index) => ({ index, kind: s.kind, run: STEP_KINDS.get(s.kind)!.create(s.options, states[index]!) }));
  const stats: StepStats[] = built.map((b) => ({ step: `${b.index + 1}:${b.kind}`, records_in: 0, records_out: 0 }));
  let parquet = input.parquet;
  let count = input.records;
  let at = 0;
  let stage = 0;
  for (;;) {
    const sql: Built[] = [];
    const records: Built[] = [];
    while (at < built.length && built[at]!.run.kind === 'sql') sql.push(built[at++]!);
    while (at < built.length && built[at]!.run.kind === 'record') records.push(built[at++]!);
    const jsonl = path.join(scratch, `stage-${stage}.jsonl`);
    count = await runSegment(parquet, count, sql, records, stats, jsonl, control, stage);
    if (count === 0) {
      const last = [...stats].reverse().find((s) => s.records_in > 0 && s.records_out === 0) ?? stats[stats.length - 1]!;
      throw new ValidationError('dataset_transform_empty', `The recipe keeps no records: step ${last.step} dropped all ${last.records_in} that reached it. Loosen it (crucible dataset preview shows the records) and run again.`, { stats });
    }
    if (at >= built.length) return { jsonl, records: count, stats };
    // A SQL step follows record steps: DuckDB reads their output as Parquet.
    parquet = path.join(scratch, `stage-${stage}.parquet`);
    const duck = await openDuck({ threads: 1, memoryLimit: '256MB', tempDirectory: path.join(scratch, 'duckdb-tmp') });
    try {
      await convertToParquet(duck, { kind: 'jsonl', file: jsonl }, parquet, `the output of step ${at}`);
    } finally {
      duck.close();
    }
    stage++;
  }
}

async function runSegment(parquet: string, total: number, sql: Built[], records: Built[], stats: StepStats[], out: string, control: PipelineControl, stage: number): Promise<number> {
  let select = 'SELECT * FROM data';
  for (const [i, s] of sql.entries()) select = (s.run as SqlStep).sql(i === 0 ? 'data' : `(${select}) AS data`);
  const writer = new JsonlWriter(out);
  // The record steps as one chain of emitters, last step first, each counting what passes.
  let sink = (row: Row) => writer.write(row);
  for (const r of [...records].reverse()) {
    const next = sink;
    const stat = stats[r.index]!;
    const step = r.run as RecordStep;
    const emit = (row: Row) => {
      stat.records_out++;
      next(row);
    };
    sink = (row) => {
      stat.records_in++;
      step.push(row, emit);
    };
  }
  let read = 0;
  const label = `transforming (stage ${stage + 1})`;
  try {
    for await (const batch of sandboxRows(parquet, select, control.signal)) {
      for (const row of batch) sink(row);
      read += batch.length;
      await writer.flush();
      control.onProgress?.(read, sql.length ? undefined : total, label);
    }
  } finally {
    await writer.close();
  }
  if (sql.length) {
    // Inside one SELECT only the group's result is seen: the first SQL step gets the input, the last the output.
    stats[sql[0]!.index]!.records_in = total;
    for (const s of sql) stats[s.index]!.records_out = read;
    for (const s of sql.slice(1)) stats[s.index]!.records_in = read;
  }
  return writer.count;
}
