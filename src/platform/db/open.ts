import { ValidationError } from '../errors.js';
import { homePath, type Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Database } from './database.js';
import { migrateToLatest } from './migrate.js';
import { isPostgresUrl } from './database-url.js';

/**
 * Opens the configured database (creating the SQLite file under config.home), applies pending
 * migrations, returns the handle. The driver is imported on demand: the embedded default never loads `pg`.
 */
export async function openDatabase(config: Config, options: { logger?: Logger } = {}): Promise<Database> {
  const url = config.database.url;
  let database: Database;
  if (isPostgresUrl(url)) {
    const { openPostgres } = await import('./postgres.js');
    database = await openPostgres(url, options);
  } else if (url) {
    throw new ValidationError(
      'db_url_unsupported',
      'CRUCIBLE_DATABASE_URL must start with postgres:// or postgresql://. Leave it empty to use the SQLite file in CRUCIBLE_HOME.',
    );
  } else {
    const file = config.database.sqliteFile === ':memory:' ? ':memory:' : homePath(config, config.database.sqliteFile);
    const { openSqlite } = await import('./sqlite.js');
    database = await openSqlite(file, options);
  }
  try {
    const applied = await migrateToLatest(database.db);
    if (applied.length > 0) options.logger?.info({ migrations: applied, dialect: database.dialect }, 'applied database migrations');
  } catch (err) {
    await database.close();
    throw err;
  }
  return database;
}
