import { mkdirSync } from 'node:fs';
import { AuditLog, KeyService } from '../auth/index.js';
import { createBlobStore, type BlobStore } from '../platform/blobs/index.js';
import type { Config } from '../platform/config.js';
import { openDatabase, type Database } from '../platform/db/index.js';
import { createLogger, type Logger } from '../platform/logger.js';

/** Everything the API, the CLI's in-process server and the workers share: ports, then services. */
export interface AppContext {
  config: Config;
  logger: Logger;
  database: Database;
  blobs: BlobStore;
  keys: KeyService;
  audit: AuditLog;
  /** What /readyz checks; each throws when its dependency is unreachable. */
  readiness: Record<string, () => Promise<void>>;
  close(): Promise<void>;
}

/** The composition root: opens the configured adapters (migrating the db) and builds the services. */
export async function createAppContext(config: Config, options: { logger?: Logger } = {}): Promise<AppContext> {
  const logger = options.logger ?? createLogger(config);
  mkdirSync(config.home, { recursive: true });
  const database = await openDatabase(config, { logger });
  let blobs: BlobStore;
  try {
    blobs = await createBlobStore(config);
  } catch (err) {
    await database.close();
    throw err;
  }
  return {
    config,
    logger,
    database,
    blobs,
    keys: new KeyService(database),
    audit: new AuditLog(database),
    readiness: { db: () => database.ping(), blobs: () => blobs.ping() },
    async close() {
      await blobs.close();
      await database.close();
    },
  };
}
