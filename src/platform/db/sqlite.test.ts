import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../config.js';
import { describeDatabaseContract } from './database.contract.js';
import { openDatabase } from './open.js';
import { openSqlite } from './sqlite.js';

const run = promisify(execFile);
const homes: string[] = [];
afterAll(() => {
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

function tempConfig(overrides: Record<string, unknown> = {}): Config {
  const home = mkdtempSync(path.join(tmpdir(), 'crucible-db-'));
  homes.push(home);
  return loadConfig({ env: {}, cwd: home, overrides: { home, ...overrides } });
}

const contractConfig = tempConfig();
describeDatabaseContract(
  'sqlite',
  () => openDatabase(contractConfig),
  () => openSqlite(path.join(contractConfig.home, `empty-${randomUUID()}.db`)),
);

describe('SQLite adapter', () => {
  it('creates the file (and missing folders) under home, with WAL, NORMAL sync, foreign keys and a busy timeout', async () => {
    const config = tempConfig({ database: { sqliteFile: 'nested/dir/meta.db' } });
    const database = await openDatabase(config);
    try {
      expect(database.dialect).toBe('sqlite');
      expect(existsSync(path.join(config.home, 'nested/dir/meta.db'))).toBe(true);
      const pragma = async (name: string) => Object.values((await sql.raw(`pragma ${name}`).execute(database.db)).rows[0] as object)[0];
      await expect(pragma('journal_mode')).resolves.toBe('wal');
      await expect(pragma('synchronous')).resolves.toBe(1); // NORMAL
      await expect(pragma('foreign_keys')).resolves.toBe(1);
      expect(await pragma('busy_timeout')).toBeGreaterThan(0);
    } finally {
      await database.close();
    }
  });

  it('rejects a database URL that is not PostgreSQL with a clear error', async () => {
    const config = tempConfig({ database: { url: 'mysql://localhost/crucible' } });
    await expect(openDatabase(config)).rejects.toMatchObject({ code: 'db_url_unsupported' });
  });

  it('keeps every write of several processes writing at once, and no SQLITE_BUSY reaches them', async () => {
    // The processes open a fresh file together, so they also race to switch to WAL and to migrate.
    const config = tempConfig();
    const script = fileURLToPath(new URL('./concurrent-writer.fixture.ts', import.meta.url));
    const writers = ['w1', 'w2', 'w3'];
    const transactions = 200;
    const outcomes = await Promise.allSettled(
      writers.map((writer) => run(process.execPath, ['--import', 'tsx', script, config.home, writer, String(transactions)], { timeout: 60_000 })),
    );
    const failures = outcomes.flatMap((o) => (o.status === 'rejected' ? [String((o.reason as { stderr?: string }).stderr ?? o.reason)] : []));
    expect(failures).toEqual([]);

    const database = await openDatabase(config);
    try {
      const counts = await database.db
        .selectFrom('audit_log')
        .select(['actor_id', 'action', (eb) => eb.fn.countAll<number>().as('n')])
        .groupBy(['actor_id', 'action'])
        .orderBy('actor_id')
        .orderBy('action')
        .execute();
      expect(counts).toEqual(
        writers.flatMap((writer) => [
          { actor_id: writer, action: 'test.plain', n: transactions / 10 },
          { actor_id: writer, action: 'test.write', n: transactions },
        ]),
      );
    } finally {
      await database.close();
    }
  });
});
