/**
 * DuckDB plumbing: short-lived in-memory instances with bounded threads and memory, and SQL
 * literal quoting. Each ingest, profile or query opens its own instance and closes it after.
 * The native module is loaded on first use, not at server start (it costs ~0.4 s to load).
 */
import type { DuckDBConnection } from '@duckdb/node-api';

/** The DuckDB module, loaded once, on demand. */
export function loadDuckDb(): Promise<typeof import('@duckdb/node-api')> {
  return import('@duckdb/node-api');
}

export interface DuckOptions {
  threads?: number;
  /** e.g. '256MB'. DuckDB spills to `tempDirectory` beyond it. */
  memoryLimit?: string;
  tempDirectory?: string;
}

export interface Duck {
  connection: DuckDBConnection;
  close(): void;
}

/** An in-memory DuckDB with the given limits. */
export async function openDuck(options: DuckOptions = {}): Promise<Duck> {
  const settings: Record<string, string> = {};
  if (options.threads !== undefined) settings.threads = String(options.threads);
  if (options.memoryLimit !== undefined) settings.memory_limit = options.memoryLimit;
  if (options.tempDirectory !== undefined) settings.temp_directory = options.tempDirectory;
  const { DuckDBInstance } = await loadDuckDb();
  const instance = await DuckDBInstance.create(':memory:', settings);
  const connection = await instance.connect();
  return {
    connection,
    close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

/** A SQL string literal. */
export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** A SQL identifier. */
export function sqlIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** BigInt → number (row counts and sizes stay far below 2^53); other values unchanged. */
export function num(value: unknown): number {
  return typeof value === 'bigint' ? Number(value) : typeof value === 'number' ? value : Number(value ?? 0);
}
