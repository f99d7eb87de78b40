import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createTestPostgres, type TestPostgres } from '../../../test/support/postgres.js';
import { describeWithPostgres, testPostgresUrl } from '../../../test/support/team-services.js';
import { loadConfig, type Config } from '../config.js';
import { CrucibleError } from '../errors.js';
import { describeDatabaseContract } from './database.contract.js';
import { openDatabase } from './open.js';
import { isPostgresUrl, openPostgres } from './postgres.js';

function configFor(url: string): Config {
  return loadConfig({ env: {}, cwd: '/nonexistent-crucible-home', overrides: { database: { url } } });
}

describe('isPostgresUrl', () => {
  it('selects PostgreSQL for postgres:// and postgresql:// only', () => {
    expect(isPostgresUrl('postgres://u@h/db')).toBe(true);
    expect(isPostgresUrl('postgresql://u@h/db')).toBe(true);
    expect(isPostgresUrl('mysql://u@h/db')).toBe(false);
    expect(isPostgresUrl('')).toBe(false);
    expect(isPostgresUrl(undefined)).toBe(false);
  });
});

describeWithPostgres('PostgreSQL adapter', () => {
  let testDb: TestPostgres;
  beforeAll(async () => {
    testDb = await createTestPostgres();
  });
  afterAll(async () => {
    await testDb?.drop();
  });

  describeDatabaseContract(
    'postgres',
    () => openDatabase(configFor(testDb.url)),
    async () => {
      const scratch = await createTestPostgres();
      const database = await openPostgres(scratch.url);
      return { ...database, close: () => database.close().then(() => scratch.drop()) };
    },
  );

  it('reports dialect postgres', async () => {
    const database = await openDatabase(configFor(testDb.url));
    expect(database.dialect).toBe('postgres');
    await database.close();
  });

  it('turns a database that does not exist into db_unavailable, naming CRUCIBLE_DATABASE_URL', async () => {
    const url = new URL(testDb.url);
    url.pathname = '/crucible_test_missing_database';
    url.password = 'secret-pw';
    const err = await openDatabase(configFor(url.toString())).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CrucibleError);
    expect(err).toMatchObject({ kind: 'unavailable', code: 'db_unavailable' });
    expect((err as Error).message).toContain('CRUCIBLE_DATABASE_URL');
    expect((err as Error).message).not.toContain('secret-pw');
  });

  it('turns a refused connection into db_unavailable', async () => {
    // Port 1 on localhost: nothing listens there, so the connection is refused at once.
    const err = await openDatabase(configFor('postgres://postgres@127.0.0.1:1/test')).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'unavailable', code: 'db_unavailable' });
    expect((err as Error).message).toMatch(/ECONNREFUSED/);
  });

  it('createTestPostgres drops its database, even with connections left open', async () => {
    const scratch = await createTestPostgres();
    const leftOpen = new pg.Client({ connectionString: scratch.url });
    leftOpen.on('error', () => {}); // it is terminated by drop(), on purpose
    await leftOpen.connect();
    await scratch.drop();
    const admin = new pg.Client({ connectionString: testPostgresUrl });
    await admin.connect();
    try {
      const name = new URL(scratch.url).pathname.slice(1);
      const { rows } = await admin.query('select 1 from pg_database where datname = $1', [name]);
      expect(rows).toEqual([]);
    } finally {
      await admin.end();
      await leftOpen.end().catch(() => {});
    }
  });
});
