/**
 * The metadata database port: Kysely over SQLite (embedded default) or PostgreSQL (team mode),
 * one schema and one set of forward-only migrations for both. Errors with a stable meaning come
 * out as CrucibleErrors: `db_unique_violation` and `db_foreign_key_violation` (ConflictError),
 * `db_unavailable` and `db_busy` (UnavailableError), `db_newer_than_code` (ConflictError).
 */
export type { ApiKeysTable, AuditLogTable, Tables } from './tables.js';
export type { Database, Dialect } from './database.js';
export { openDatabase } from './open.js';
export { appliedMigrations, migrateToLatest, MIGRATION_TABLE } from './migrate.js';
export { isPostgresUrl } from './database-url.js';
// The drivers' modules (sqlite.ts, postgres.ts) are imported on demand by openDatabase.
