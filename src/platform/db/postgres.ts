import { Kysely, PostgresDialect, sql, type Dialect as KyselyDialect } from 'kysely';
import pg from 'pg';
import { CrucibleError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Database } from './database.js';
import { mapPostgresError, postgresUnavailableError } from './errors.js';
import { MappedDriver, type ConnectionPolicy } from './mapped-driver.js';
import type { Tables } from './tables.js';

export { isPostgresUrl } from './database-url.js';

/**
 * pg returns int8 (COUNT(*), SUM of integers, bigint columns) and numeric as strings, because they
 * may not fit a JS number. better-sqlite3 returns numbers, so for one behaviour on both engines we
 * parse them as numbers here, for this pool only (not pg's global type table). Counts never exceed
 * 2^53; a value that could (none today) belongs in a text column.
 */
const numberTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === pg.types.builtins.INT8 || oid === pg.types.builtins.NUMERIC
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format as 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

/** Opens a pool on the PostgreSQL database named by `url` and checks that it answers, without migrating. */
export async function openPostgres(url: string, options: { logger?: Logger } = {}): Promise<Database> {
  const pool = new pg.Pool({
    connectionString: url,
    types: numberTypes,
    max: 10,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    application_name: 'crucible',
  });
  // An idle client whose server goes away emits 'error' on the pool; unhandled, it would kill the process.
  pool.on('error', (err) => options.logger?.warn({ err: err.message }, 'idle PostgreSQL connection failed; the pool will reconnect'));

  const policy: ConnectionPolicy = {
    mapError: (err) => mapPostgresError(err, url),
    runStatement: (statement) => statement(),
  };
  const base = new PostgresDialect({ pool });
  const dialect: KyselyDialect = {
    createAdapter: () => base.createAdapter(),
    createDriver: () => new MappedDriver(base.createDriver(), policy),
    createQueryCompiler: () => base.createQueryCompiler(),
    createIntrospector: (db) => base.createIntrospector(db),
  };
  const db = new Kysely<Tables>({ dialect });

  let closing: Promise<void> | undefined;
  const database: Database = {
    db,
    dialect: 'postgres',
    transaction: (fn) => db.transaction().execute(fn),
    async ping() {
      try {
        await sql`select 1`.execute(db);
      } catch (err) {
        throw err instanceof CrucibleError && err.kind === 'unavailable' ? err : postgresUnavailableError(url, err);
      }
    },
    close: () => (closing ??= db.destroy()),
  };
  try {
    await database.ping(); // fail at start with a clear message rather than on the first request
  } catch (err) {
    await database.close();
    throw err;
  }
  return database;
}
