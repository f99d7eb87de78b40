import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestPostgres } from '../../../test/support/postgres.js';
import { describeWithPostgres } from '../../../test/support/team-services.js';
import { loadConfig } from '../config.js';
import type { Database } from '../db/database.js';
import { openDatabase } from '../db/open.js';
import { DbEventStore } from './db-event-store.js';
import { describeEventStoreContract, type EventStoreContractTarget } from './event-store.contract.js';

/** Every store opened on a target has its own db connection, as another process would; the poll is quick so tests stay fast. */
function target(databaseUrl: () => Promise<{ url?: string; drop(): Promise<void> }>): () => Promise<EventStoreContractTarget> {
  return async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'crucible-events-'));
    const backing = await databaseUrl();
    const handles: Database[] = [];
    return {
      async open() {
        const config = loadConfig({ env: {}, cwd: home, overrides: { home, ...(backing.url ? { database: { url: backing.url } } : {}) } });
        const database = await openDatabase(config);
        handles.push(database);
        const store = new DbEventStore(database, { pollMs: 100 });
        return Object.assign(store, {
          close: async () => {
            await DbEventStore.prototype.close.call(store);
            await database.close();
          },
        });
      },
      async cleanup() {
        for (const database of handles) await database.close().catch(() => undefined);
        await backing.drop();
        rmSync(home, { recursive: true, force: true });
      },
    };
  };
}

describeEventStoreContract('db (SQLite)', target(async () => ({ drop: async () => undefined })));

describeWithPostgres('db event store on PostgreSQL', () => {
  describeEventStoreContract('db (PostgreSQL)', target(createTestPostgres));
});
