import type { z } from 'zod';
import type { Json } from '../platform/queue/index.js';
import type { JobEventInput } from './events.js';

/**
 * What a job handler receives. It runs in a child process of the worker (runner.ts): it may crash,
 * exhaust its memory or hang without harming the worker; the worker reports what happened.
 */
export interface HandlerContext<P> {
  jobId: string;
  /** 1-based; > 1 means an earlier attempt failed or its worker died: resume from `workDir`. */
  attempt: number;
  /** The payload, already parsed by the handler's `payloadSchema`. */
  payload: P;
  /**
   * Aborted on cancel, timeout or worker shutdown (`signal.reason.code` is `job_cancelled`,
   * `job_timeout` or `worker_shutdown`). Stop soon, after writing a checkpoint: a hard kill follows
   * after a grace period.
   */
  signal: AbortSignal;
  /** A per-job directory that survives retries on this machine: keep checkpoints here. */
  workDir: string;
  log(level: LogLevel, message: string, stream?: 'stdout' | 'stderr'): void;
  metric(name: string, value: number, step: number): void;
  progress(done: number, total?: number, message?: string): void;
  /** Any other event (used by handlers that relay a stream of their own). */
  emit(event: JobEventInput): void;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/**
 * A job handler module's default export (or its named `handler` export). `run` returns the job's
 * result (JSON) or throws; an error with `retryable: false` (or a CrucibleError of kind `invalid`)
 * fails the job without further attempts.
 * @example export default defineHandler({ type: 'demo.echo', payloadSchema: z.object({ text: z.string() }), run: async ({ payload }) => payload });
 */
export interface JobHandler<S extends z.ZodType = z.ZodType> {
  type: string;
  payloadSchema: S;
  run(ctx: HandlerContext<z.output<S>>): Promise<Json | void> | Json | void;
}

/** Identity, for type inference of `ctx.payload` from the schema. */
export function defineHandler<S extends z.ZodType>(handler: JobHandler<S>): JobHandler<S> {
  return handler;
}
