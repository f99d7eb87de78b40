import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteAdapter, SqliteDialect, sql, type Dialect as KyselyDialect } from 'kysely';
import { UnavailableError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Database } from './database.js';
import { isSqliteBusy, mapSqliteError, sqliteBusyError } from './errors.js';
import { MappedDriver, type ConnectionPolicy } from './mapped-driver.js';
import type { Tables } from './tables.js';

/**
 * SQLite's own busy handler (busy_timeout) waits this long for a lock before a statement fails with
 * SQLITE_BUSY. It sleeps synchronously, blocking the event loop, so it is kept short; the longer wait
 * is done by retryBusy below, asynchronously, which lets this process go on serving meanwhile.
 */
const BUSY_TIMEOUT_MS = 250;
/** Statements outside a transaction that stay busy are retried with backoff until this much time has passed. */
const BUSY_RETRY_WINDOW_MS = 30_000;

/**
 * SQLite runs DDL inside transactions perfectly well; Kysely's adapter says otherwise only to stay
 * conservative. Saying yes makes the Migrator run in one BEGIN IMMEDIATE transaction, which is what
 * serialises several processes migrating the same file at once.
 */
class TransactionalSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

/**
 * Retries a statement that failed with SQLITE_BUSY, with exponential backoff, as long as no
 * transaction is open. Outside a transaction a busy statement changed nothing, so running it again
 * is safe; that covers `begin immediate` and plain single-statement writes alike.
 */
async function retryBusy<T>(sqlite: BetterSqlite3.Database, file: string, statement: () => Promise<T>): Promise<T> {
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      return await statement();
    } catch (err) {
      if (!isSqliteBusy(err) || sqlite.inTransaction) throw err;
      const waited = Date.now() - started;
      if (waited > BUSY_RETRY_WINDOW_MS) throw sqliteBusyError(file, waited, err);
      const backoff = Math.min(5 * 2 ** attempt, 250);
      await sleep(backoff / 2 + Math.random() * backoff); // jitter so waiting processes do not wake in lockstep
    }
  }
}

function openFile(file: string): BetterSqlite3.Database {
  try {
    if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
    return new BetterSqlite3(file, { timeout: BUSY_TIMEOUT_MS });
  } catch (err) {
    throw new UnavailableError(
      'db_unavailable',
      `Cannot open the SQLite database at ${file}: ${(err as Error).message}. Check that CRUCIBLE_HOME points to a writable directory.`,
      { file },
      { cause: err },
    );
  }
}

async function applyPragmas(sqlite: BetterSqlite3.Database, file: string, logger?: Logger): Promise<void> {
  // Switching to WAL takes a lock briefly, so a process starting beside another may have to wait.
  const mode = await retryBusy(sqlite, file, async () => sqlite.pragma('journal_mode = WAL', { simple: true }));
  if (mode !== 'wal' && file !== ':memory:') {
    logger?.warn({ file, journalMode: mode }, 'SQLite could not switch to WAL (network file system?); concurrent access will be slower');
  }
  sqlite.pragma('synchronous = NORMAL'); // safe with WAL: a power cut may lose the last commits, never corrupt
  sqlite.pragma('foreign_keys = ON');
}

/** Opens (creating when missing) the SQLite file, without migrating. `:memory:` gives a private in-memory database. */
export async function openSqlite(file: string, options: { logger?: Logger } = {}): Promise<Database> {
  const sqlite = openFile(file);
  try {
    await applyPragmas(sqlite, file, options.logger);
  } catch (err) {
    sqlite.close();
    throw mapSqliteError(err, file);
  }

  const policy: ConnectionPolicy = {
    mapError: (err) => mapSqliteError(err, file),
    runStatement: (statement) => retryBusy(sqlite, file, statement),
    // A deferred BEGIN that later upgrades to a write fails at once with SQLITE_BUSY (the busy
    // handler is skipped to avoid deadlock); IMMEDIATE takes the write lock up front and waits for it.
    beginSql: 'begin immediate',
  };
  const base = new SqliteDialect({ database: sqlite });
  const dialect: KyselyDialect = {
    createAdapter: () => new TransactionalSqliteAdapter(),
    createDriver: () => new MappedDriver(base.createDriver(), policy),
    createQueryCompiler: () => base.createQueryCompiler(),
    createIntrospector: (db) => base.createIntrospector(db),
  };
  const db = new Kysely<Tables>({ dialect });

  let closing: Promise<void> | undefined;
  return {
    db,
    dialect: 'sqlite',
    transaction: (fn) => db.transaction().execute(fn),
    async ping() {
      try {
        await sql`select 1`.execute(db);
      } catch (err) {
        throw new UnavailableError('db_unavailable', `The SQLite database ${file} cannot be queried: ${(err as Error).message}.`, { file }, { cause: err });
      }
    },
    close: () => (closing ??= db.destroy()),
  };
}
