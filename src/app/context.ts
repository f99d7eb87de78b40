import { mkdirSync } from 'node:fs';
import { AuditLog, KeyService } from '../auth/index.js';
import { createBlobStore, type BlobStore } from '../platform/blobs/index.js';
import type { Config } from '../platform/config.js';
import { openDatabase, type Database } from '../platform/db/index.js';
import { createEventStore, type EventStore } from '../platform/events/index.js';
import { createLogger, type Logger } from '../platform/logger.js';
import { createQueue, type JobQueue } from '../platform/queue/index.js';
import { JobService, JobTypeRegistry, WorkerRegistry } from '../jobs/index.js';
import { datasetJobTypes, DatasetService, DatasetStore, ParquetCache } from '../datasets/index.js';
import { homePath } from '../platform/config.js';
import { WorkflowService, WorkflowStore } from '../workflows/index.js';
import { RunStore, TrackingService } from '../tracking/index.js';

/** Everything the API, the CLI's in-process server and the workers share: ports, then services. */
export interface AppContext {
  config: Config;
  logger: Logger;
  database: Database;
  blobs: BlobStore;
  queue: JobQueue;
  events: EventStore;
  keys: KeyService;
  audit: AuditLog;
  jobs: JobService;
  /** Workers that registered: what they offer and run (GET /api/v1/workers). */
  workers: WorkerRegistry;
  datasets: DatasetService;
  /** Runs: params, tags, metric series, artifacts; jobs' metric events land in their run. */
  tracking: TrackingService;
  /** Workflow runs: YAML DAGs of jobs (driven by the WorkflowScheduler that `startServer` runs). */
  workflows: WorkflowService;
  /** What /readyz checks; each throws when its dependency is unreachable. */
  readiness: Record<string, () => Promise<void>>;
  close(): Promise<void>;
}

/** The composition root: opens the configured adapters (migrating the db) and builds the services. */
export async function createAppContext(config: Config, options: { logger?: Logger } = {}): Promise<AppContext> {
  const logger = options.logger ?? createLogger(config);
  mkdirSync(config.home, { recursive: true });
  const database = await openDatabase(config, { logger });
  // Each adapter opened so far is closed again if a later one fails to open.
  const opened: Array<{ close(): Promise<void> }> = [database];
  const open = async <T extends { close(): Promise<void> }>(make: () => Promise<T>): Promise<T> => {
    try {
      const adapter = await make();
      opened.unshift(adapter);
      return adapter;
    } catch (err) {
      for (const adapter of opened) await adapter.close().catch(() => undefined);
      throw err;
    }
  };
  const blobs = await open(() => createBlobStore(config));
  const queue = await open(() => createQueue(config.queue, { database }));
  const events = await open(() => createEventStore(config, { database }));
  const jobTypes = new JobTypeRegistry();
  for (const definition of datasetJobTypes) jobTypes.register(definition);
  const jobs = new JobService(queue, events, jobTypes);
  const datasets = new DatasetService({ store: new DatasetStore(database), blobs, cache: new ParquetCache(blobs, homePath(config, 'cache', 'datasets')), workDir: homePath(config, 'work', 'datasets'), jobs });
  const tracking = new TrackingService({ store: new RunStore(database), blobs, events, jobs: queue, logger });
  return {
    config,
    logger,
    database,
    blobs,
    queue,
    events,
    keys: new KeyService(database),
    audit: new AuditLog(database),
    jobs,
    workers: new WorkerRegistry(database),
    datasets,
    tracking,
    workflows: new WorkflowService({ store: new WorkflowStore(database), jobs, logger }),
    readiness: { db: () => database.ping(), blobs: () => blobs.ping(), queue: () => queue.ping() },
    async close() {
      // Newest first: the event store and the queue before the db they may use.
      for (const adapter of opened) await adapter.close();
    },
  };
}
