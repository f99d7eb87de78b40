import type { Config } from '../platform/config.js';
import { openDatabase } from '../platform/db/index.js';
import { createEventStore } from '../platform/events/index.js';
import { createLogger } from '../platform/logger.js';
import { createQueue } from '../platform/queue/index.js';
import { WorkerRegistry } from '../jobs/index.js';
import { trackedEventSink } from '../tracking/index.js';
import { startWorkerPool } from './pool.js';

/**
 * `crucible worker`: opens the db, the queue and the event store as configured, runs a worker until
 * SIGTERM or SIGINT, then stops it gracefully (worker.shutdownGraceMs) and exits 0.
 */
export async function runWorkerProcess(config: Config, options: { quiet: boolean }): Promise<void> {
  const logger = createLogger(config);
  const database = await openDatabase(config, { logger });
  const queue = await createQueue(config.queue, { database });
  const events = await createEventStore(config, { database });
  const close = async () => {
    await queue.close().catch((err: unknown) => logger.warn({ err }, 'closing the queue failed'));
    await events.close().catch((err: unknown) => logger.warn({ err }, 'closing the event store failed'));
    await database.close();
  };
  const registry = new WorkerRegistry(database);
  const worker = await startWorkerPool({ config: { ...config, worker: { ...config.worker, concurrency: Math.max(1, config.worker.concurrency) } }, logger, queue, events: trackedEventSink({ database, events, jobs: queue, logger }), registry }).catch(
    async (err: unknown) => {
      await close();
      throw err;
    },
  );
  const info = worker!.info();
  if (!options.quiet) {
    const { cpu, memoryMb, gpus } = info.resources;
    process.stderr.write(
      `Worker ${info.id} is running (${queue.driver} queue): ${cpu} cores, ${memoryMb} MB, ${gpus} GPUs, ${info.concurrency} jobs at once. SIGTERM to stop.\n`,
    );
  }
  const shutdown = (signal: string) => {
    logger.info({ signal, graceMs: config.worker.shutdownGraceMs }, 'stopping the worker: no new jobs, running jobs checkpoint');
    worker!
      .stop(config.worker.shutdownGraceMs)
      .then(close)
      .then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error({ err }, 'worker shutdown failed');
          process.exit(3);
        },
      );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}
