/**
 * For the transform tests: rows → a real Parquet file (DuckDB) → the real recipe validator and
 * pipeline → the output rows. No step is called around the pipeline, so a test sees what a job does.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { convertToParquet } from '../convert.js';
import { openDuck, sqlString } from '../duck.js';
import { runPipeline, type StepStats } from './pipeline.js';
import type { RecipeFinding } from './recipe.js';
import type { Column, Row } from './types.js';
import { validateRecipe } from './validate-recipe.js';

export interface Transformed {
  rows: Row[];
  stats: StepStats[];
  columns: Column[];
  textField: string;
}

/** Writes rows as Parquet in a temp dir; returns the file, its columns, and a cleanup. */
export async function parquetOf(rows: Row[]): Promise<{ dir: string; parquet: string; columns: Column[]; cleanup(): void }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'crucible-transform-'));
  const jsonl = path.join(dir, 'in.jsonl');
  writeFileSync(jsonl, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const parquet = path.join(dir, 'in.parquet');
  const duck = await openDuck({ threads: 1 });
  try {
    await convertToParquet(duck, { kind: 'jsonl', file: jsonl }, parquet, 'test rows');
    const described = await (await duck.connection.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${sqlString(parquet)})`)).getRowObjectsJS();
    const columns = described.map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
    return { dir, parquet, columns, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
  } finally {
    duck.close();
  }
}

/** Validates `recipe` against the rows' schema and runs it; throws with the findings when invalid. */
export async function transformRows(recipe: string, rows: Row[], textField = 'text'): Promise<Transformed> {
  const input = await parquetOf(rows);
  try {
    const v = await validateRecipe(recipe, { columns: input.columns, textField });
    if (!v.recipe) throw new Error(`recipe invalid:\n${v.findings.map((f: RecipeFinding) => `${f.line}:${f.column} ${f.path}: ${f.message}`).join('\n')}`);
    const out = await runPipeline(v.recipe, v.states!, { parquet: input.parquet, records: rows.length }, input.dir);
    const lines = readFileSync(out.jsonl, 'utf8').split('\n').filter(Boolean);
    return { rows: lines.map((l) => JSON.parse(l) as Row), stats: out.stats, columns: v.output!.columns, textField: v.output!.textField };
  } finally {
    input.cleanup();
  }
}

/** The findings of a recipe against rows' schema (or none, without rows). */
export async function findingsOf(recipe: string, rows?: Row[], textField = 'text'): Promise<RecipeFinding[]> {
  if (!rows) return (await validateRecipe(recipe, null)).findings;
  const input = await parquetOf(rows);
  try {
    return (await validateRecipe(recipe, { columns: input.columns, textField })).findings;
  } finally {
    input.cleanup();
  }
}
