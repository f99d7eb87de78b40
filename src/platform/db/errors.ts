import { ConflictError, CrucibleError, UnavailableError } from '../errors.js';
import { redactUrl } from '../config.js';

/**
 * Driver errors → CrucibleErrors with stable codes, so callers branch on `code` and never on a
 * driver's message text or on which engine is behind the port. Errors we have no better name for
 * are passed through unchanged (the API wraps them as internal).
 */

interface DriverError {
  code?: unknown;
  message?: unknown;
  table?: unknown;
  detail?: unknown;
  constraint?: unknown;
}

function asDriverError(err: unknown): DriverError {
  return typeof err === 'object' && err !== null ? (err as DriverError) : {};
}

function withCause<E extends CrucibleError>(error: E, cause: unknown): E {
  error.cause = cause;
  return error;
}

function uniqueViolation(table: string | undefined, columns: string[], cause: unknown): ConflictError {
  const what = columns.length > 0 ? `the same ${columns.join(', ')}` : 'the same unique value';
  const where = table ? ` in ${table}` : '';
  return withCause(
    new ConflictError('db_unique_violation', `A record with ${what} already exists${where}: use another value, or update the existing record.`, {
      ...(table ? { table } : {}),
      columns,
    }),
    cause,
  );
}

function foreignKeyViolation(table: string | undefined, cause: unknown): ConflictError {
  return withCause(
    new ConflictError(
      'db_foreign_key_violation',
      `The change refers to a record that does not exist, or removes one that others still refer to${table ? ` (${table})` : ''}.`,
      table ? { table } : undefined,
    ),
    cause,
  );
}

/** True for SQLite's "database is locked" family (SQLITE_BUSY, SQLITE_BUSY_SNAPSHOT, ...). */
export function isSqliteBusy(err: unknown): boolean {
  const code = asDriverError(err).code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

/** The error SQLite gives once busy waiting and retries are exhausted (`waitedMs` undefined: no retry was possible). */
export function sqliteBusyError(file: string, waitedMs: number | undefined, cause: unknown): UnavailableError {
  const how = waitedMs === undefined ? 'was locked by another process' : `stayed locked by another process for ${Math.round(waitedMs / 1000)} s`;
  return new UnavailableError(
    'db_busy',
    `The SQLite database ${file} ${how}. Retry later; if it persists, look for a stuck process holding the file open.`,
    { file },
    { cause },
  );
}

/** Maps a better-sqlite3 error to a CrucibleError when it has a stable meaning. */
export function mapSqliteError(err: unknown, file: string): unknown {
  if (err instanceof CrucibleError) return err;
  const { code, message } = asDriverError(err);
  if (typeof code !== 'string') return err;
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    // "UNIQUE constraint failed: api_keys.key_hash, api_keys.other"
    const list = String(message).split(':')[1] ?? '';
    const qualified = list.split(',').map((s) => s.trim()).filter(Boolean);
    const table = qualified[0]?.split('.')[0];
    return uniqueViolation(table, qualified.map((c) => c.split('.').pop()!), err);
  }
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') return foreignKeyViolation(undefined, err);
  if (code.startsWith('SQLITE_BUSY')) return sqliteBusyError(file, undefined, err);
  if (code.startsWith('SQLITE_CANTOPEN') || code === 'SQLITE_READONLY' || code === 'SQLITE_FULL' || code.startsWith('SQLITE_IOERR')) {
    return new UnavailableError(
      'db_unavailable',
      `The SQLite database ${file} cannot be used (${code}: ${String(message)}). Check that CRUCIBLE_HOME is on a writable disk with free space.`,
      { file },
      { cause: err },
    );
  }
  return err;
}

// Node socket errors and PostgreSQL SQLSTATEs that mean "the server cannot be reached or used".
const PG_UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE',
  '3D000', // invalid_catalog_name: the database does not exist
  '28000', '28P01', // invalid authorization / password
  '53300', // too_many_connections
  '57P01', '57P02', '57P03', // admin_shutdown, crash_shutdown, cannot_connect_now
]);
// pg reports some connection failures without a code; these are its messages for them.
const PG_UNAVAILABLE_MESSAGES = [/^Connection terminated/, /timeout exceeded when trying to connect/, /Client has encountered a connection error/];

/** The error for "PostgreSQL cannot be reached", naming the (redacted) URL and what to check. */
export function postgresUnavailableError(url: string, cause: unknown): UnavailableError {
  const reason = String(asDriverError(cause).message ?? cause);
  return new UnavailableError(
    'db_unavailable',
    `Cannot use PostgreSQL at ${redactUrl(url)}: ${reason}. Check CRUCIBLE_DATABASE_URL (postgres://user:password@host:5432/database), that the server is running and reachable, and that the database exists.`,
    { url: redactUrl(url) },
    { cause },
  );
}

/** Maps a pg error to a CrucibleError when it has a stable meaning. */
export function mapPostgresError(err: unknown, url: string): unknown {
  if (err instanceof CrucibleError) return err;
  const { code, message, table, detail } = asDriverError(err);
  const tableName = typeof table === 'string' ? table : undefined;
  if (code === '23505') {
    // detail: 'Key (key_hash)=(abc) already exists.' — keep the column names, never the values.
    const columns = /Key \(([^)]*)\)=/.exec(String(detail ?? ''))?.[1]?.split(',').map((c) => c.trim().replace(/^"|"$/g, '')) ?? [];
    return uniqueViolation(tableName, columns, err);
  }
  if (code === '23503') return foreignKeyViolation(tableName, err);
  if (code === '40P01' || code === '40001') {
    return new UnavailableError('db_busy', 'The database aborted this change because a concurrent one conflicted with it. Retry the request.', undefined, {
      cause: err,
    });
  }
  const unavailable =
    (typeof code === 'string' && (PG_UNAVAILABLE_CODES.has(code) || code.startsWith('08'))) ||
    (typeof message === 'string' && PG_UNAVAILABLE_MESSAGES.some((re) => re.test(message)));
  return unavailable ? postgresUnavailableError(url, err) : err;
}
