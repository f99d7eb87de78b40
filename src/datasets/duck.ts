/**
 * DuckDB plumbing: short-lived in-memory instances with bounded threads and memory, and SQL
 * literal quoting. Each ingest, profile or query opens its own instance and closes it after.
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

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
