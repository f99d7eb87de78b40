import type { Json } from '../platform/queue/index.js';
import type { JobEventInput } from './events.js';

/** Why the worker aborts a running handler; also `signal.reason.code` in the handler. */
export type AbortCode = 'job_cancelled' | 'job_timeout' | 'worker_shutdown';

/** Worker → runner (IPC). */
export type ToRunner =
  | { type: 'run'; modulePath: string; jobId: string; jobType: string; payload: Json; attempt: number; workDir: string }
  | { type: 'abort'; code: AbortCode };

/** A thrown error, as it crosses the process boundary. */
export interface WireError {
  message: string;
  stack?: string;
  code?: string;
  /** false: fail the job now, whatever attempts remain. */
  retryable?: boolean;
}

/** Runner → worker (IPC). Exactly one of `done` / `error` ends a run. */
export type FromRunner =
  | { type: 'event'; event: JobEventInput }
  | { type: 'done'; result: Json | null }
  | { type: 'error'; error: WireError };

/** An Error crosses IPC as plain fields; `retryable: false` and invalid-input errors stop retries. */
export function toWireError(err: unknown): WireError {
  if (!(err instanceof Error)) return { message: String(err) };
  const fields = err as Error & { code?: unknown; retryable?: unknown; kind?: unknown };
  const wire: WireError = { message: err.message || err.name, ...(err.stack ? { stack: err.stack } : {}) };
  if (typeof fields.code === 'string') wire.code = fields.code;
  if (fields.retryable === false || fields.kind === 'invalid') wire.retryable = false;
  return wire;
}
