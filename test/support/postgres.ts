import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { testPostgresUrl } from './team-services.js';

export interface TestPostgres {
  /** URL of the fresh database: pass it as `database.url` (CRUCIBLE_DATABASE_URL). */
  url: string;
  /** Drops the database, ending any connection still open on it. Safe to call twice. */
  drop(): Promise<void>;
}

async function withAdminClient<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: testPostgresUrl, application_name: 'crucible-tests' });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates a fresh, uniquely named database (`crucible_test_<random>`) on the server at
 * CRUCIBLE_TEST_POSTGRES_URL, so each test file works in isolation. Call `drop()` in `afterAll`.
 * @example const pgdb = await createTestPostgres(); ... await pgdb.drop();
 */
export async function createTestPostgres(): Promise<TestPostgres> {
  if (!testPostgresUrl) {
    throw new Error('CRUCIBLE_TEST_POSTGRES_URL is not set: wrap team-mode tests in describeWithPostgres.');
  }
  const name = `crucible_test_${randomBytes(6).toString('hex')}`; // [a-z0-9_] only: safe to quote as an identifier
  await withAdminClient((client) => client.query(`create database "${name}"`));
  const url = new URL(testPostgresUrl);
  url.pathname = `/${name}`;

  let dropped: Promise<void> | undefined;
  const drop = () =>
    (dropped ??= withAdminClient(async (client) => {
      // A pool the test forgot to close would make DROP DATABASE fail; end those connections first.
      await client.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [name]);
      await client.query(`drop database if exists "${name}"`);
    }));
  return { url: url.toString(), drop };
}
