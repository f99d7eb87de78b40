import type { Kysely, Transaction } from 'kysely';
import type { Tables } from './tables.js';

export type Dialect = 'sqlite' | 'postgres';

/** The metadata database port: a Kysely handle plus the few operations that differ per engine. */
export interface Database {
  readonly db: Kysely<Tables>;
  readonly dialect: Dialect;
  /** A write transaction. On SQLite: BEGIN IMMEDIATE with busy waiting/retry, so SQLITE_BUSY never escapes to callers. */
  transaction<T>(fn: (trx: Transaction<Tables>) => Promise<T>): Promise<T>;
  /** Cheap round trip used by /readyz; throws UnavailableError when the database cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
