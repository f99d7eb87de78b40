import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, CrucibleError } from '../errors.js';
import { newId } from '../ids.js';
import type { Database } from './database.js';
import { appliedMigrations, MIGRATION_TABLE, migrateToLatest } from './migrate.js';
import { migrations } from './migrations/index.js';
import type { ApiKeysTable, AuditLogTable } from './tables.js';

function apiKey(overrides: Partial<ApiKeysTable> = {}): ApiKeysTable {
  const id = newId('key');
  return {
    id,
    name: `key ${id}`,
    role: 'editor',
    prefix: id.slice(-8),
    key_hash: `hash-${id}`,
    created_at: new Date().toISOString(),
    created_by: null,
    last_used_at: null,
    revoked_at: null,
    ...overrides,
  };
}

function auditEntry(overrides: Partial<AuditLogTable> = {}): AuditLogTable {
  return {
    id: newId('aud'),
    at: new Date().toISOString(),
    actor_id: null,
    actor_name: null,
    action: 'keys.create',
    target: null,
    outcome: 'success',
    status: null,
    request_id: null,
    details: null,
    ...overrides,
  };
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (err) {
    return err instanceof CrucibleError ? err.code : `raw: ${String(err)}`;
  }
  return undefined;
}

/**
 * The behaviour every Database adapter must have. `open` returns a migrated database; it is called
 * once for the shared handle and again by the tests that need a second one, so it must reopen the
 * same database each time. `openEmpty` returns a new database that was never migrated, each call
 * (its close() also disposes of it).
 */
export function describeDatabaseContract(name: string, open: () => Promise<Database>, openEmpty: () => Promise<Database>): void {
  describe(`Database contract: ${name}`, () => {
    let database: Database;
    beforeAll(async () => {
      database = await open();
    });
    afterAll(async () => {
      await database?.close();
    });

    it('applies every migration on open and records them', async () => {
      expect(await appliedMigrations(database.db)).toEqual(Object.keys(migrations));
      const tables = (await database.db.introspection.getTables()).map((t) => t.name);
      expect(tables).toEqual(expect.arrayContaining(['api_keys', 'audit_log']));
    });

    it('migrating again is a no-op', async () => {
      expect(await migrateToLatest(database.db)).toEqual([]);
      const again = await open();
      await again.close();
      expect(await appliedMigrations(database.db)).toEqual(Object.keys(migrations));
    });

    it('refuses a database migrated by newer code (db_newer_than_code)', async () => {
      const future = '9999-from-the-future';
      await database.db.insertInto(MIGRATION_TABLE as never).values({ name: future, timestamp: new Date().toISOString() } as never).execute();
      try {
        const err = await migrateToLatest(database.db).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ConflictError);
        expect((err as ConflictError).code).toBe('db_newer_than_code');
        expect((err as ConflictError).message).toContain(future);
        expect(await codeOf(open())).toBe('db_newer_than_code');
      } finally {
        await database.db.deleteFrom(MIGRATION_TABLE as never).where('name' as never, '=', future as never).execute();
      }
    });

    it('a migration that fails halfway leaves nothing behind (db_migration_failed)', async () => {
      const empty = await openEmpty();
      try {
        // audit_log already exists, so 0001 creates api_keys and then fails: api_keys must be rolled back too.
        await empty.db.schema.createTable('audit_log').addColumn('id', 'text').execute();
        const err = await migrateToLatest(empty.db).catch((e: unknown) => e);
        expect(err).toMatchObject({ code: 'db_migration_failed', details: { migration: '0001-initial' } });
        const tables = (await empty.db.introspection.getTables()).map((t) => t.name);
        expect(tables).not.toContain('api_keys');
        expect(await appliedMigrations(empty.db)).toEqual([]);
      } finally {
        await empty.close();
      }
    });

    it('round-trips api_keys: text ids, ISO timestamps, nulls', async () => {
      const row = apiKey({ created_by: 'key_admin' });
      await database.db.insertInto('api_keys').values(row).execute();
      expect(await database.db.selectFrom('api_keys').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow()).toEqual(row);

      const usedAt = new Date(Date.now() + 1000).toISOString();
      const updated = await database.db.updateTable('api_keys').set({ last_used_at: usedAt, revoked_at: usedAt }).where('id', '=', row.id).executeTakeFirst();
      expect(Number(updated.numUpdatedRows)).toBe(1);
      expect(await database.db.selectFrom('api_keys').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow()).toEqual({
        ...row,
        last_used_at: usedAt,
        revoked_at: usedAt,
      });
    });

    it('round-trips audit_log: integer status, JSON text details, ordered by at', async () => {
      const actor = newId('key');
      const first = auditEntry({ actor_id: actor, at: '2026-01-01T00:00:00.000Z', status: 201, details: JSON.stringify({ role: 'viewer', n: 2 }) });
      const second = auditEntry({ actor_id: actor, at: '2026-01-01T00:00:01.000Z', outcome: 'denied', status: 403 });
      await database.db.insertInto('audit_log').values([second, first]).execute();
      const rows = await database.db.selectFrom('audit_log').selectAll().where('actor_id', '=', actor).orderBy('at').execute();
      expect(rows).toEqual([first, second]);
      expect(typeof rows[0]!.status).toBe('number');
      expect(JSON.parse(rows[0]!.details!)).toEqual({ role: 'viewer', n: 2 });
    });

    it('returns COUNT(*) as a number', async () => {
      const { n } = await database.db.selectFrom('api_keys').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      expect(typeof n).toBe('number');
      expect(n).toBeGreaterThan(0);
    });

    it('commits a transaction and returns its value', async () => {
      const row = apiKey();
      const result = await database.transaction(async (trx) => {
        await trx.insertInto('api_keys').values(row).execute();
        await trx.insertInto('audit_log').values(auditEntry({ target: row.id })).execute();
        return 'done';
      });
      expect(result).toBe('done');
      expect(await database.db.selectFrom('audit_log').select('id').where('target', '=', row.id).execute()).toHaveLength(1);
    });

    it('rolls back everything when the transaction throws', async () => {
      const row = apiKey();
      const boom = new Error('boom');
      await expect(
        database.transaction(async (trx) => {
          await trx.insertInto('api_keys').values(row).execute();
          await trx.insertInto('audit_log').values(auditEntry({ target: row.id })).execute();
          throw boom;
        }),
      ).rejects.toBe(boom);
      expect(await database.db.selectFrom('api_keys').select('id').where('id', '=', row.id).execute()).toEqual([]);
      expect(await database.db.selectFrom('audit_log').select('id').where('target', '=', row.id).execute()).toEqual([]);
    });

    it('surfaces unique violations as ConflictError db_unique_violation, naming the column', async () => {
      const row = apiKey();
      await database.db.insertInto('api_keys').values(row).execute();

      const err = await database.db.insertInto('api_keys').values(apiKey({ key_hash: row.key_hash })).execute().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConflictError);
      expect((err as ConflictError).code).toBe('db_unique_violation');
      expect((err as ConflictError).details).toMatchObject({ table: 'api_keys', columns: ['key_hash'] });
      expect(JSON.stringify((err as ConflictError).toJSON())).not.toContain(row.key_hash); // never echo the value

      expect(await codeOf(database.db.insertInto('api_keys').values(apiKey({ id: row.id })).execute())).toBe('db_unique_violation');
    });

    it('rolls back a transaction that hits a unique violation, and reports it as ConflictError', async () => {
      const row = apiKey();
      await database.db.insertInto('api_keys').values(row).execute();
      const audit = auditEntry();
      const code = await codeOf(
        database.transaction(async (trx) => {
          await trx.insertInto('audit_log').values(audit).execute();
          await trx.insertInto('api_keys').values(apiKey({ key_hash: row.key_hash })).execute();
        }),
      );
      expect(code).toBe('db_unique_violation');
      expect(await database.db.selectFrom('audit_log').select('id').where('id', '=', audit.id).execute()).toEqual([]);
    });

    it('pings', async () => {
      await expect(database.ping()).resolves.toBeUndefined();
    });

    it('closes (twice is fine); a closed handle pings as unavailable', async () => {
      const other = await open();
      await other.ping();
      await other.close();
      await other.close();
      const err = await other.ping().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CrucibleError);
      expect((err as CrucibleError).kind).toBe('unavailable');
      await database.ping(); // the shared handle is untouched
    });
  });
}
