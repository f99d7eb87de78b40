import { describe, expect, it } from 'vitest';
import { ConflictError, UnavailableError } from '../errors.js';
import { isSqliteBusy, mapPostgresError, mapSqliteError } from './errors.js';

const url = 'postgres://crucible:hunter2@db.internal:5432/crucible';

function driverError(props: Record<string, unknown>, message = 'driver says no'): Error {
  return Object.assign(new Error(message), props);
}

describe('mapSqliteError', () => {
  it('maps UNIQUE and PRIMARY KEY failures to db_unique_violation with table and columns', () => {
    const err = mapSqliteError(driverError({ code: 'SQLITE_CONSTRAINT_UNIQUE' }, 'UNIQUE constraint failed: api_keys.key_hash'), 'x.db');
    expect(err).toBeInstanceOf(ConflictError);
    expect(err).toMatchObject({ code: 'db_unique_violation', details: { table: 'api_keys', columns: ['key_hash'] } });
    expect(mapSqliteError(driverError({ code: 'SQLITE_CONSTRAINT_PRIMARYKEY' }, 'UNIQUE constraint failed: t.a, t.b'), 'x.db')).toMatchObject({
      details: { table: 't', columns: ['a', 'b'] },
    });
  });

  it('maps busy, foreign key and unusable-file errors; passes others through', () => {
    expect(mapSqliteError(driverError({ code: 'SQLITE_BUSY' }), 'x.db')).toMatchObject({ code: 'db_busy', kind: 'unavailable' });
    expect(mapSqliteError(driverError({ code: 'SQLITE_CONSTRAINT_FOREIGNKEY' }), 'x.db')).toMatchObject({ code: 'db_foreign_key_violation' });
    expect(mapSqliteError(driverError({ code: 'SQLITE_FULL' }), 'x.db')).toMatchObject({ code: 'db_unavailable' });
    const other = driverError({ code: 'SQLITE_ERROR' }, 'no such table: nope');
    expect(mapSqliteError(other, 'x.db')).toBe(other);
    expect(isSqliteBusy(driverError({ code: 'SQLITE_BUSY_SNAPSHOT' }))).toBe(true);
    expect(isSqliteBusy(new Error('database is locked'))).toBe(false);
  });
});

describe('mapPostgresError', () => {
  it('maps 23505 to db_unique_violation, keeping column names but never values', () => {
    const err = mapPostgresError(driverError({ code: '23505', table: 'api_keys', detail: 'Key (key_hash)=(deadbeef) already exists.' }), url);
    expect(err).toBeInstanceOf(ConflictError);
    expect(err).toMatchObject({ details: { table: 'api_keys', columns: ['key_hash'] } });
    expect(JSON.stringify((err as ConflictError).toJSON()) + (err as Error).message).not.toContain('deadbeef');
  });

  it('maps connection failures to db_unavailable with the URL redacted', () => {
    for (const cause of [
      driverError({ code: 'ECONNREFUSED' }, 'connect ECONNREFUSED 10.0.0.1:5432'),
      driverError({ code: '3D000' }, 'database "crucible" does not exist'),
      driverError({ code: '28P01' }, 'password authentication failed for user "crucible"'),
      driverError({ code: '08006' }),
      new Error('Connection terminated unexpectedly'),
      new Error('timeout exceeded when trying to connect'),
    ]) {
      const err = mapPostgresError(cause, url);
      expect(err).toBeInstanceOf(UnavailableError);
      expect(err).toMatchObject({ code: 'db_unavailable' });
      expect((err as Error).message).toContain('CRUCIBLE_DATABASE_URL');
      expect((err as Error).message).not.toContain('hunter2');
    }
  });

  it('maps deadlocks to db_busy and passes other errors through', () => {
    expect(mapPostgresError(driverError({ code: '40P01' }), url)).toMatchObject({ code: 'db_busy' });
    const syntax = driverError({ code: '42601' });
    expect(mapPostgresError(syntax, url)).toBe(syntax);
  });
});
