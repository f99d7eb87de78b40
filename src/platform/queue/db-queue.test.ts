import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPostgres, type TestPostgres } from '../../../test/support/postgres.js';
import { describeWithPostgres } from '../../../test/support/team-services.js';
import { openDatabase } from '../db/open.js';
import { loadConfig } from '../config.js';
import type { Database } from '../db/database.js';
import { DbQueue } from './db-queue.js';
import { describeQueueContract, type QueueContractTarget } from './queue.contract.js';

/** Each target is its own SQLite file; each queue opened on it is its own connection, as a restarted server would have. */
async function sqliteTarget(): Promise<QueueContractTarget> {
  const home = mkdtempSync(path.join(tmpdir(), 'crucible-queue-'));
  const handles: Database[] = [];
  return {
    async open(options) {
      const database = await openDatabase(loadConfig({ env: {}, cwd: home, overrides: { home } }));
      handles.push(database);
      const queue = new DbQueue(database, options);
      return Object.assign(queue, { close: () => database.close() });
    },
    async cleanup() {
      for (const database of handles) await database.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

describeQueueContract('embedded (SQLite)', sqliteTarget);

describe('embedded queue on SQLite, several processes', () => {
  it('never hands one job to two processes leasing from the same file (crucible worker beside crucible start)', async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'crucible-queue-procs-'));
    try {
      const database = await openDatabase(loadConfig({ env: {}, cwd: home, overrides: { home } }));
      const queue = new DbQueue(database);
      const ids = new Set<string>();
      for (let i = 0; i < 300; i++) ids.add((await queue.enqueue({ type: 'test.procs', payload: { i } })).id);
      await database.close();

      const script = fileURLToPath(new URL('./lessee.fixture.ts', import.meta.url));
      const run = promisify(execFile);
      const outputs = await Promise.all(['p1', 'p2', 'p3'].map((name) => run(process.execPath, ['--import', 'tsx', script, home, name], { timeout: 60_000 })));
      const completed = outputs.flatMap((out) => (JSON.parse(out.stdout) as { completed: string[] }).completed);
      expect(completed).toHaveLength(ids.size);
      expect(new Set(completed)).toEqual(ids);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describeWithPostgres('embedded queue on the PostgreSQL metadata db', () => {
  let pg: TestPostgres;
  beforeAll(async () => {
    pg = await createTestPostgres();
  });
  afterAll(async () => {
    await pg?.drop();
  });
  describeQueueContract('embedded (PostgreSQL)', async () => {
    const handles: Database[] = [];
    return {
      async open(options) {
        const database = await openDatabase(loadConfig({ env: {}, overrides: { database: { url: pg.url } } }));
        handles.push(database);
        return Object.assign(new DbQueue(database, options), { close: () => database.close() });
      },
      async cleanup() {
        // The tests share this file's database, one after the other: empty it for the next one.
        const cleaner = await openDatabase(loadConfig({ env: {}, overrides: { database: { url: pg.url } } }));
        await cleaner.db.deleteFrom('jobs').execute();
        for (const database of [...handles, cleaner]) await database.close();
      },
    };
  });
});
