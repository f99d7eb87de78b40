/**
 * Workers: lease jobs, run each handler in its own child process, heartbeat, report. Handlers are
 * modules exporting `defineHandler({ type, payloadSchema, run })` (handler.ts), found by type in a
 * registry (handler-registry.ts). `crucible worker` runs one (process.ts); `crucible start` runs an
 * in-process pool (pool.ts).
 */
export { defineHandler, type HandlerContext, type JobHandler, type LogLevel } from './handler.js';
export { BUILTIN_HANDLERS, handlerRegistry, type HandlerRegistry } from './handler-registry.js';
export type { JobEventSink } from './events.js';
export { detectGpus, detectResources, parseGpuCsv } from './resources.js';
export { startWorkerPool, type WorkerPoolDeps } from './pool.js';
export { Worker, type WorkerInfo, type WorkerOptions } from './worker.js';
