import { homePath, type Config } from '../platform/config.js';
import type { Logger } from '../platform/logger.js';
import type { JobQueue } from '../platform/queue/index.js';
import type { JobEventSink } from './events.js';
import type { PresenceRegistry } from './presence.js';
import { handlerRegistry } from './handler-registry.js';
import { detectResources } from './resources.js';
import { Worker } from './worker.js';

export interface WorkerPoolDeps {
  config: Config;
  logger: Logger;
  queue: JobQueue;
  events: JobEventSink;
  /** Where the worker registers itself (the jobs domain's WorkerRegistry over the metadata db). */
  registry?: PresenceRegistry;
}

/**
 * A started Worker as configured (`worker` section): resources detected unless set, the built-in
 * handlers plus `worker.handlers`, workDirs under `$CRUCIBLE_HOME/work`. Null when concurrency is 0.
 * Used by `crucible worker` and by `crucible start` (the in-process pool).
 */
export async function startWorkerPool(deps: WorkerPoolDeps): Promise<Worker | null> {
  const { config } = deps;
  if (config.worker.concurrency === 0) return null;
  const { cpu, memoryMb, gpus } = config.worker;
  const resources = await detectResources({
    ...(cpu !== undefined ? { cpu } : {}),
    ...(memoryMb !== undefined ? { memoryMb } : {}),
    ...(gpus !== undefined ? { gpus } : {}),
  });
  const worker = new Worker({
    queue: deps.queue,
    events: deps.events,
    logger: deps.logger,
    handlers: handlerRegistry(config.worker.handlers),
    workRoot: homePath(config, 'work'),
    resources,
    concurrency: config.worker.concurrency,
    pollMs: config.worker.pollMs,
    abortGraceMs: config.worker.abortGraceMs,
    ...(deps.registry ? { registry: deps.registry } : {}),
  });
  worker.start();
  return worker;
}
