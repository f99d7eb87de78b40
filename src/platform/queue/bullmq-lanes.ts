import { createHash } from 'node:crypto';
import type { Job as BullJob, Queue, Worker } from 'bullmq';
import type { BullmqBackend } from './bullmq-backend.js';
import type { Envelope } from './bullmq-jobs.js';
import { fits, type Json, type LeaseRequest, type Resources } from './job.js';

/**
 * BullMQ hands out the head of a queue and cannot skip jobs that do not fit a worker. So jobs are
 * kept in lanes, one BullMQ queue per (type, resources) shape: every job in a lane fits the same
 * workers, and a worker leases only from lanes that fit it. Lanes are few (a job type has a handful
 * of shapes). Their list lives in BullMQ itself, as a queue that nobody consumes, with one entry
 * per lane (job id = lane id, so registering twice is a no-op), on Redis and PostgreSQL alike.
 */
export interface Lane {
  id: string;
  type: string;
  resources: Resources;
}

export type BullQueue = Queue<Envelope, Json, string>;
export type BullWorker = Worker<Envelope, Json, string>;
export type BullJobOf = BullJob<Envelope, Json, string>;

export function laneOf(type: string, resources: Resources): Lane {
  const key = JSON.stringify([type, Math.round(resources.cpu * 1000), resources.memoryMb, resources.gpus]);
  return { id: createHash('sha256').update(key).digest('hex').slice(0, 12), type, resources };
}

export interface LaneOptions {
  leaseMs: number;
  maxLeaseLapses: number;
  backoffStrategy: (failedAttempts: number, type: string | undefined, err: Error | undefined, job: BullJobOf | undefined) => number;
  /**
   * Connection errors of every BullMQ object. They also surface as the failing call's error; this
   * keeps them from being printed (or, unhandled, crashing the process) while BullMQ reconnects.
   */
  onError: (err: Error) => void;
}

/** One lane's BullMQ handles: a Queue for producers and readers, a Worker (made on first lease) for lessees. */
export class LaneHandle {
  readonly queue: BullQueue;
  private worker: BullWorker | undefined;
  private workerReady: Promise<BullWorker> | undefined;

  constructor(
    readonly lane: Lane,
    private readonly backend: BullmqBackend,
    private readonly name: string,
    private readonly options: LaneOptions,
  ) {
    this.queue = new backend.classes.Queue(name, { connection: backend.connection() }) as unknown as BullQueue;
    this.queue.on('error', options.onError);
  }

  /**
   * The lane's Worker, used without a processor: our lessees fetch jobs with getNextJob (BullMQ's
   * "manual processing"). Its stalled checker is what returns jobs with lapsed locks to the queue.
   */
  lessee(): Promise<BullWorker> {
    this.workerReady ??= (async () => {
      const worker = new this.backend.classes.Worker(this.name, null, {
        connection: this.backend.connection(),
        autorun: false,
        lockDuration: this.options.leaseMs,
        stalledInterval: Math.max(100, Math.min(30_000, Math.floor(this.options.leaseMs / 2))),
        maxStalledCount: this.options.maxLeaseLapses,
        settings: { backoffStrategy: this.options.backoffStrategy as never },
      }) as unknown as BullWorker;
      this.worker = worker;
      worker.on('error', this.options.onError);
      await worker.waitUntilReady();
      await worker.startStalledCheckTimer();
      return worker;
    })();
    return this.workerReady;
  }

  async close(): Promise<void> {
    if (this.workerReady) await this.workerReady.catch(() => {});
    await this.worker?.close(true);
    await this.queue.close();
  }
}

/** The lanes of one Crucible queue, cached in-process and refreshed from BullMQ at most every `refreshMs`. */
export class LaneRegistry {
  private readonly registry: Queue<Lane>;
  private readonly handles = new Map<string, LaneHandle>();
  private readonly registered = new Set<string>();
  private refreshedAt = 0;

  constructor(
    private readonly backend: BullmqBackend,
    private readonly baseName: string,
    private readonly options: LaneOptions,
    private readonly refreshMs = 1_000,
  ) {
    this.registry = new backend.classes.Queue(`${baseName}.lanes`, { connection: backend.connection() }) as unknown as Queue<Lane>;
    this.registry.on('error', options.onError);
  }

  get registryQueue(): Queue<Lane> {
    return this.registry;
  }

  /** The handle of a lane, registering the lane in BullMQ the first time this process sees it. */
  async ensure(lane: Lane): Promise<LaneHandle> {
    if (!this.registered.has(lane.id)) {
      await this.registry.add('lane', lane, { jobId: lane.id });
      this.registered.add(lane.id);
    }
    return this.handle(lane);
  }

  /** A lane known by id only (from a job id); undefined when no such lane was ever registered. */
  async byId(laneId: string): Promise<LaneHandle | undefined> {
    const known = this.handles.get(laneId);
    if (known) return known;
    const entry = await this.registry.getJob(laneId);
    return entry ? this.handle(entry.data) : undefined;
  }

  async all(): Promise<LaneHandle[]> {
    if (Date.now() - this.refreshedAt >= this.refreshMs) {
      const entries = await this.registry.getJobs(['wait'], 0, -1);
      for (const entry of entries) this.handle(entry.data);
      this.refreshedAt = Date.now();
    }
    return [...this.handles.values()];
  }

  /** Lanes whose jobs this lessee may take. */
  async fitting(request: LeaseRequest): Promise<LaneHandle[]> {
    const types = request.types ? new Set(request.types) : undefined;
    return (await this.all()).filter((h) => (!types || types.has(h.lane.type)) && fits(h.lane.resources, request.resources));
  }

  private handle(lane: Lane): LaneHandle {
    let handle = this.handles.get(lane.id);
    if (!handle) {
      handle = new LaneHandle(lane, this.backend, `${this.baseName}.${lane.id}`, this.options);
      this.handles.set(lane.id, handle);
      this.registered.add(lane.id);
    }
    return handle;
  }

  async close(): Promise<void> {
    for (const handle of this.handles.values()) await handle.close();
    await this.registry.close();
  }

  /** Removes every lane and the registry from the datastore (tests). */
  async obliterate(): Promise<void> {
    await this.all();
    for (const handle of this.handles.values()) await handle.queue.obliterate({ force: true });
    await this.registry.obliterate({ force: true });
  }
}
