import { Migrator, type Kysely } from 'kysely';
import { ConflictError, CrucibleError } from '../errors.js';
import { migrations } from './migrations/index.js';

/** The table recording which migrations ran (and its lock table). Prefixed so a shared database cannot clash. */
export const MIGRATION_TABLE = 'crucible_migrations';
export const MIGRATION_LOCK_TABLE = 'crucible_migrations_lock';

/** Names of the migrations recorded in the database; empty when none ever ran. */
export async function appliedMigrations(db: Kysely<any>): Promise<string[]> {
  const tables = await db.introspection.getTables({ withInternalKyselyTables: true });
  if (!tables.some((t) => t.name === MIGRATION_TABLE)) return [];
  const rows = await db.selectFrom(MIGRATION_TABLE).select('name').orderBy('name').execute();
  return rows.map((row) => String(row.name));
}

/** Refuses a database migrated by a newer Crucible: running old code on a newer schema corrupts data quietly. */
async function refuseNewerDatabase(db: Kysely<any>): Promise<void> {
  const unknown = (await appliedMigrations(db)).filter((name) => !(name in migrations));
  if (unknown.length > 0) {
    throw new ConflictError(
      'db_newer_than_code',
      `The database was migrated by a newer version of Crucible (unknown migrations: ${unknown.join(', ')}). Upgrade Crucible to that version or newer; older code must not run on it.`,
      { unknownMigrations: unknown, knownMigrations: Object.keys(migrations) },
    );
  }
}

/** Applies pending migrations; returns the names applied (empty when up to date). */
export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  await refuseNewerDatabase(db);
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => ({ ...migrations }) },
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
  });
  const { error, results = [] } = await migrator.migrateToLatest();
  if (error !== undefined) {
    if (error instanceof CrucibleError) throw error;
    const failed = results.find((r) => r.status === 'Error')?.migrationName;
    const reason = error instanceof Error ? error.message : String(error);
    throw new CrucibleError(
      'internal',
      'db_migration_failed',
      `Database migration ${failed ?? '(setup)'} failed: ${reason}. Fix the cause (see the log) and start again; the failed migration was not recorded.`,
      failed ? { migration: failed } : undefined,
      { cause: error },
    );
  }
  return results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
