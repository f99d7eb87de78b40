import os from 'node:os';
import type { WorkerPresence } from '../jobs/index.js';
import type { Logger } from '../platform/logger.js';
import type { WorkerInfo } from './worker.js';

/** Where a worker announces itself (the jobs domain's WorkerRegistry). */
export interface PresenceRegistry {
  register(worker: WorkerPresence): Promise<void>;
  heartbeat(id: string, running: WorkerPresence['running']): Promise<void>;
  stopped(id: string): Promise<void>;
}

/**
 * Keeps a worker's row in the registry current: registered on start, heartbeat every `intervalMs`
 * with the jobs it runs, marked stopped on a clean stop. Failures are logged, never fatal: the
 * registry is for people watching the fleet, while leases alone decide where jobs run.
 */
export class WorkerPresenceReporter {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly registry: PresenceRegistry,
    private readonly info: () => WorkerInfo & { types: string[] },
    private readonly logger: Logger,
    private readonly intervalMs = 10_000,
  ) {}

  async start(): Promise<void> {
    const info = this.info();
    await this.registry
      .register({ id: info.id, host: os.hostname(), pid: process.pid, resources: info.resources, types: info.types, concurrency: info.concurrency, running: info.running })
      .catch((err: unknown) => this.logger.warn({ err }, 'could not register the worker'));
    this.timer = setInterval(() => {
      const { id, running } = this.info();
      this.registry.heartbeat(id, running).catch((err: unknown) => this.logger.warn({ err }, 'worker heartbeat to the registry failed'));
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.registry.stopped(this.info().id).catch((err: unknown) => this.logger.warn({ err }, 'could not mark the worker stopped'));
  }
}
