import { ValidationError } from '../errors.js';
import { homePath, type Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Database } from './database.js';
import { migrateToLatest } from './migrate.js';
import { isPostgresUrl, openPostgres } from './postgres.js';
import { openSqlite } from './sqlite.js';

/** Opens the configured database (creating the SQLite file under config.home), applies pending migrations, returns the handle. */
export async function openDatabase(config: Config, options: { logger?: Logger } = {}): Promise<Database> {
  const url = config.database.url;
  let database: Database;
  if (isPostgresUrl(url)) {
    database = await openPostgres(url, options);
  } else if (url) {
    throw new ValidationError(
      'db_url_unsupported',
      'CRUCIBLE_DATABASE_URL must start with postgres:// or postgresql://. Leave it empty to use the SQLite file in CRUCIBLE_HOME.',
    );
  } else {
    const file = config.database.sqliteFile === ':memory:' ? ':memory:' : homePath(config, config.database.sqliteFile);
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
