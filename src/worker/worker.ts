import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CrucibleError } from '../platform/errors.js';
import { newId } from '../platform/ids.js';
import type { Logger } from '../platform/logger.js';
import type { Job, JobError, JobQueue, LeasedJob, Resources } from '../platform/queue/index.js';
import { ChildJob, type ChildOutcome } from './child-job.js';
import { EventBuffer } from './event-buffer.js';
import type { JobEventInput, JobEventSink } from './events.js';
import type { HandlerRegistry } from './handler-registry.js';
import type { AbortCode } from './messages.js';
import { WorkerPresenceReporter, type PresenceRegistry } from './presence.js';
import { gpuSlots } from './resources.js';

export interface WorkerOptions {
  queue: JobQueue;
  events: JobEventSink;
  handlers: HandlerRegistry;
  logger: Logger;
  /** Each job's workDir is `<workRoot>/<jobId>`: the same directory on every attempt on this machine. */
  workRoot: string;
  /** What this worker offers (resources.ts detects it); jobs are leased only while their needs fit what is free. */
  resources: Resources;
  /** Jobs at once, at most. */
  concurrency: number;
  id?: string;
  /** How often an idle worker asks the queue for work. */
  pollMs?: number;
  /** Abort (cancel, timeout) → hard kill of the handler's process group. */
  abortGraceMs?: number;
  /** Where the worker registers and heartbeats what it runs (GET /api/v1/workers). */
  registry?: PresenceRegistry;
}

export interface WorkerInfo {
  id: string;
  resources: Resources;
  concurrency: number;
  running: { jobId: string; type: string; attempt: number }[];
}

interface ActiveJob {
  leased: LeasedJob;
  child: ChildJob;
  abort(code: AbortCode, graceMs: number): void;
  done: Promise<void>;
}

/**
 * Leases jobs that fit its free resources, up to `concurrency` at once, and runs each in a child
 * process (child-job.ts), heartbeating its lease every leaseMs/3. It alone talks to the queue and the
 * event store; the child only sends messages. A crash, an out-of-memory kill or a hang of a handler
 * ends that job's attempt with a clear reason, never the worker.
 *
 * @example
 * const worker = new Worker({ queue, events, handlers: handlerRegistry(), logger, workRoot, resources: await detectResources(), concurrency: 2 });
 * worker.start();
 * process.once('SIGTERM', () => void worker.stop(30_000).then(() => process.exit(0)));
 */
export class Worker {
  readonly id: string;
  private readonly active = new Map<string, ActiveJob>();
  private stopping: Promise<void> | undefined;
  private loopDone: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  /** GPU ids not given to a running job: each job gets its own (CUDA_VISIBLE_DEVICES). */
  private readonly freeGpus: string[];
  private readonly presence: WorkerPresenceReporter | undefined;

  constructor(private readonly options: WorkerOptions) {
    this.id = options.id ?? `${os.hostname()}-${process.pid}-${newId().slice(-6)}`;
    this.freeGpus = gpuSlots(options.resources.gpus, process.env.CUDA_VISIBLE_DEVICES);
    this.presence = options.registry
      ? new WorkerPresenceReporter(options.registry, () => ({ ...this.info(), types: [...options.handlers.keys()] }), options.logger)
      : undefined;
  }

  info(): WorkerInfo {
    return {
      id: this.id,
      resources: this.options.resources,
      concurrency: this.options.concurrency,
      running: [...this.active.values()].map(({ leased }) => ({ jobId: leased.job.id, type: leased.job.type, attempt: leased.attempt })),
    };
  }

  start(): void {
    if (this.loopDone) return;
    this.options.logger.info({ worker: this.info().id, resources: this.options.resources, concurrency: this.options.concurrency, types: [...this.options.handlers.keys()] }, 'worker started');
    this.loopDone = this.loop();
    void this.presence?.start();
  }

  /**
   * Stops leasing, aborts running handlers (reason `worker_shutdown`) so they can checkpoint, and
   * hard-kills whatever still runs after `graceMs`. A job that did not finish is not reported: its
   * lease lapses and it goes back to the queue, to resume from its checkpoint elsewhere.
   */
  stop(graceMs: number): Promise<void> {
    this.stopping ??= (async () => {
      this.wake?.();
      await this.loopDone;
      for (const job of this.active.values()) job.abort('worker_shutdown', graceMs);
      await Promise.all([...this.active.values()].map((job) => job.done));
      await this.presence?.stop();
      this.options.logger.info({ worker: this.id }, 'worker stopped');
    })();
    return this.stopping;
  }

  private free(): Resources {
    const free = { ...this.options.resources };
    for (const { leased } of this.active.values()) {
      free.cpu -= leased.job.resources.cpu;
      free.memoryMb -= leased.job.resources.memoryMb;
      free.gpus -= leased.job.resources.gpus;
    }
    return { cpu: Math.max(0, free.cpu), memoryMb: Math.max(0, free.memoryMb), gpus: Math.max(0, free.gpus) };
  }

  private async loop(): Promise<void> {
    const types = [...this.options.handlers.keys()];
    while (!this.stopping) {
      let leased: LeasedJob | null = null;
      if (this.active.size < this.options.concurrency) {
        try {
          leased = await this.options.queue.lease(this.id, { types, resources: this.free() });
        } catch (err) {
          this.options.logger.warn({ err, worker: this.id }, 'could not lease a job; trying again shortly');
        }
      }
      if (leased && this.stopping) {
        // Leased as shutdown began: leave it to lapse back to the queue rather than start it.
        this.options.logger.info({ jobId: leased.job.id }, 'leased during shutdown; the job returns to the queue when its lease lapses');
        break;
      }
      if (leased) {
        try {
          this.begin(leased);
        } catch (err) {
          // fork itself threw (EAGAIN, EMFILE): the attempt fails, the worker goes on.
          this.options.logger.error({ err, jobId: leased.job.id }, 'could not start the job');
          const error = { message: `could not start the handler process: ${(err as Error).message}`, code: 'job_crashed' };
          await this.options.queue.fail(leased.job.id, leased.leaseToken, error).catch(() => undefined);
        }
        continue;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.options.pollMs ?? 500);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  private begin(leased: LeasedJob): void {
    const { job, leaseToken, attempt } = leased;
    const { queue, logger } = this.options;
    const log = logger.child({ jobId: job.id, type: job.type, attempt });
    const events = new EventBuffer(this.options.events, job.id, log);
    const gpus = this.freeGpus.splice(0, job.resources.gpus);
    const child = this.startChild(leased, gpus, events);
    events.push({ kind: 'state', state: 'running', attempt });
    log.info({ pid: child.pid }, 'job started');

    let abortCode: AbortCode | undefined;
    let leaseLost = false;
    const abort = (code: AbortCode, graceMs: number) => {
      if (abortCode) return;
      abortCode = code;
      log.info({ reason: code, graceMs }, 'aborting the handler');
      child.abort(code, graceMs);
    };
    const abortGraceMs = this.options.abortGraceMs ?? 10_000;

    let beating = false;
    const heartbeat = setInterval(() => {
      if (beating) return;
      beating = true;
      queue
        .extendLease(job.id, leaseToken)
        .then((status) => {
          if (status.cancelRequested) abort('job_cancelled', abortGraceMs);
        })
        .catch((err: unknown) => {
          if (err instanceof CrucibleError && err.code === 'job_lease_lost') {
            // Another worker may own the job now: stop at once and report nothing.
            leaseLost = true;
            log.warn('lease lost; killing the handler without reporting');
            child.kill();
          } else {
            log.warn({ err }, 'heartbeat failed; trying again');
          }
        })
        .finally(() => (beating = false));
    }, Math.max(200, Math.floor(queue.leaseMs / 3)));
    const timeout = job.timeoutMs ? setTimeout(() => abort('job_timeout', abortGraceMs), job.timeoutMs) : undefined;

    const done = child.outcome
      .then(async (outcome) => {
        clearInterval(heartbeat);
        clearTimeout(timeout);
        if (leaseLost) return;
        // The attempt's own events are stored before its end is: a client that sees the job ended
        // (crucible … --wait, SSE) has already been able to read every line the handler logged.
        await events.flush();
        await this.report(leased, outcome, abortCode, events, log);
      })
      .catch((err: unknown) => log.error({ err }, 'could not report the job; its lease will lapse and it will run again'))
      .finally(async () => {
        await events.flush();
        this.freeGpus.push(...gpus);
        this.active.delete(job.id);
        this.wake?.();
      });
    this.active.set(job.id, { leased, child, abort, done });
  }

  private startChild(leased: LeasedJob, gpus: string[], events: EventBuffer): ChildJob {
    const { job, attempt } = leased;
    try {
      return new ChildJob({
        modulePath: this.options.handlers.get(job.type)!,
        jobId: job.id,
        jobType: job.type,
        payload: job.payload,
        attempt,
        workDir: path.join(this.options.workRoot, job.id),
        memoryMb: job.resources.memoryMb,
        // No GPUs: an empty list hides them all, so a job that asked for none cannot take one.
        env: { CUDA_VISIBLE_DEVICES: gpus.join(',') },
        onEvent: (event) => events.push(event),
      });
    } catch (err) {
      this.freeGpus.push(...gpus);
      throw err;
    }
  }

  private async report(leased: LeasedJob, outcome: ChildOutcome, abortCode: AbortCode | undefined, events: EventBuffer, log: Logger): Promise<void> {
    const { job, leaseToken, attempt } = leased;
    const { queue } = this.options;
    if (abortCode === 'worker_shutdown' && outcome.kind !== 'done') {
      events.push({ kind: 'log', level: 'warn', message: 'worker shut down; the job returns to the queue when its lease lapses and resumes from its checkpoint' });
      return;
    }
    let final: Job;
    try {
      if (outcome.kind === 'done') {
        final = await queue.complete(job.id, leaseToken, outcome.result ?? undefined);
      } else {
        const { error, retry } = failureOf(outcome, abortCode, job);
        log.warn({ error: error.message, code: error.code }, 'job attempt failed');
        final = await queue.fail(job.id, leaseToken, error, { retry });
      }
    } catch (err) {
      if (err instanceof CrucibleError && err.code === 'job_lease_lost') {
        log.warn('lease lost before reporting; the outcome is discarded');
        return;
      }
      throw err;
    }
    events.push(stateEvent(final, attempt));
    log.info({ state: final.state }, 'job attempt ended');
    // Checkpoints are for retries; a job that will not run again needs its workDir no more (kept on failure, for a post-mortem).
    if (final.state === 'succeeded' || final.state === 'cancelled') {
      await rm(path.join(this.options.workRoot, job.id), { recursive: true, force: true }).catch(() => undefined);
    }
  }
}

/** The error to record for an attempt that did not end with a result, and whether to retry. */
export function failureOf(outcome: Exclude<ChildOutcome, { kind: 'done' }>, abortCode: AbortCode | undefined, job: Pick<Job, 'timeoutMs'>): { error: JobError; retry: boolean } {
  if (abortCode === 'job_cancelled') return { error: { message: 'cancelled on request', code: 'job_cancelled' }, retry: false };
  if (abortCode === 'job_timeout') {
    const how = outcome.kind === 'killed' ? ' (the handler ignored the abort and was killed)' : '';
    return { error: { message: `timed out after ${job.timeoutMs} ms${how}`, code: 'job_timeout' }, retry: true };
  }
  if (outcome.kind === 'error') {
    const { retryable, ...error } = outcome.error;
    return { error, retry: retryable !== false };
  }
  if (outcome.kind === 'crashed') return { error: outcome.error, retry: outcome.retryable };
  return { error: { message: 'the handler process was killed', code: 'job_crashed' }, retry: true };
}

/** The state event for a job after complete/fail. */
export function stateEvent(job: Pick<Job, 'state' | 'error'>, attempt: number): JobEventInput {
  const error = job.error ? { message: job.error.message, ...(job.error.stack ? { stack: job.error.stack } : {}), ...(job.error.code ? { code: job.error.code } : {}) } : undefined;
  if (job.state === 'succeeded') return { kind: 'state', state: 'succeeded', attempt };
  if (job.state === 'retrying' || job.state === 'failed' || job.state === 'cancelled') {
    return { kind: 'state', state: job.state, attempt, ...(error && job.state !== 'cancelled' ? { error } : {}) };
  }
  return { kind: 'state', state: job.state, attempt };
}
