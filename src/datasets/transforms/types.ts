/**
 * The shapes every transform step shares. A step is declared once (its options schema, how it
 * changes the schema, how it runs) and the recipe validator, the pipeline and the docs all read
 * that one declaration.
 */
import type { z } from 'zod';

/** One record as the pipeline carries it: a row of the version (JSON values). */
export type Row = Record<string, unknown>;

/** A path into the recipe file, e.g. ['steps', 2, 'dedup', 'near', 'threshold']. */
export type Path = Array<string | number>;

export interface Column {
  name: string;
  /** A DuckDB type name (VARCHAR, BIGINT, STRUCT(...)[] ...). */
  type: string;
}

/** What the records look like at one point of the recipe: validation walks it step by step. */
export interface SchemaState {
  columns: Column[];
  /** The field training reads; templates and chunking may change or fill it. */
  textField: string;
}

/** Runs on each record in order; emits zero or more records for it (filters, chunkers). */
export interface RecordStep {
  kind: 'record';
  push(row: Row, emit: (row: Row) => void): void;
}

/** Runs inside DuckDB: wraps the relation `from` (a table expression) in one SELECT. */
export interface SqlStep {
  kind: 'sql';
  sql(from: string): string;
}

export type StepRun = RecordStep | SqlStep;

/** What a step's planning may ask of the validator. */
export interface PlanContext {
  /** True when the field exists at this point; otherwise records a finding at `path` and returns false. */
  requireField(state: SchemaState, field: string, path: Path): boolean;
  /** Records an error at `path` (relative to the step's options) with a suggested fix. */
  error(path: Path, code: string, message: string, fix: string): void;
  /** The columns a SELECT over `data` (with the given columns) yields, or null after recording why not. */
  describeSql(state: SchemaState, select: string, path: Path): Promise<Column[] | null>;
  /** False when validating without a parent version (no schema to check fields against). */
  readonly knowsSchema: boolean;
}

/** One kind of step: `- <kind>: <options>` in a recipe. */
export interface StepKind<O> {
  kind: string;
  /** One line: what it does (shown in errors that list the kinds). */
  summary: string;
  /** A YAML example of the step (shown as the fix for a bad option). */
  example: string;
  options: z.ZodType<O>;
  /** True when the step never changes the columns: validation can go on checking fields after it even when its options are wrong. */
  keepsSchema: boolean;
  /** Checks fields against the schema at this point; returns the schema after the step. */
  plan(options: O, state: SchemaState, ctx: PlanContext): SchemaState | Promise<SchemaState>;
  create(options: O, state: SchemaState): StepRun;
}

/** A step kind with its option type forgotten: the registry's element (options were parsed by its own schema). */
export type AnyStepKind = StepKind<unknown>;

export function eraseKind<O>(kind: StepKind<O>): AnyStepKind {
  return kind as unknown as AnyStepKind;
}

/** The field a text step works on: its `field` option, else the current text field. */
export function textFieldOf(options: { field?: string | undefined }, state: SchemaState): string {
  return options.field ?? state.textField;
}

/** `plan` of a step that keeps the schema and reads one optional `field`: that field must exist. */
export function planOptionalField(options: { field?: string | undefined }, state: SchemaState, ctx: PlanContext): SchemaState {
  if (options.field !== undefined) ctx.requireField(state, options.field, ['field']);
  return state;
}

/** A value as text (null → ''; other non-strings as JSON). */
export function asText(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function withColumn(state: SchemaState, column: Column): Column[] {
  return state.columns.some((c) => c.name === column.name) ? state.columns.map((c) => (c.name === column.name ? column : c)) : [...state.columns, column];
}
