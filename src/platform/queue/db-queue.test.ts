import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
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
