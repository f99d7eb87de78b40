import { z } from 'zod';

const JobStateSchema = z.enum(['queued', 'running', 'retrying', 'succeeded', 'failed', 'cancelled']);

/** What a producer (a worker, the jobs service) appends to a job's stream. Validated on append. */
export const JobEventInputSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('log'),
    level: z.enum(['debug', 'info', 'warn', 'error']),
    message: z.string(),
    stream: z.enum(['stdout', 'stderr']).optional(),
  }),
  z.object({ kind: z.literal('metric'), name: z.string().min(1).max(200), value: z.number(), step: z.number().int().min(0) }),
  z.object({ kind: z.literal('progress'), done: z.number().min(0), total: z.number().min(0).optional(), message: z.string().optional() }),
  z.object({
    kind: z.literal('state'),
    state: JobStateSchema,
    attempt: z.number().int().min(1).optional(),
    error: z.object({ message: z.string(), stack: z.string().optional(), code: z.string().optional() }).optional(),
  }),
]);

export type JobEventInput =
  | { kind: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; message: string; stream?: 'stdout' | 'stderr' }
  | { kind: 'metric'; name: string; value: number; step: number }
  | { kind: 'progress'; done: number; total?: number; message?: string }
  | {
      kind: 'state';
      state: 'queued' | 'running' | 'retrying' | 'succeeded' | 'failed' | 'cancelled';
      attempt?: number;
      error?: { message: string; stack?: string; code?: string };
    };

export type JobEventKind = JobEventInput['kind'];
export const JOB_EVENT_KINDS: readonly JobEventKind[] = ['log', 'metric', 'progress', 'state'];

/** An event as stored: its job, its place in the job's stream (1, 2, 3 … no gaps) and when it was appended. */
export type JobEvent = JobEventInput & { jobId: string; seq: number; at: string };

export interface ListEventsOptions {
  /** Events with seq > afterSeq (default 0: from the start). */
  afterSeq?: number;
  /** At most this many (default and cap: 1,000). */
  limit?: number;
  /** Only these kinds. */
  kinds?: JobEventKind[];
}

/**
 * Each job's append-only stream of events. Implementations: the metadata db with in-process pub/sub
 * and a poll fallback (db-event-store.ts), and Redis streams for team mode (redis-event-store.ts);
 * both pass event-store.contract.ts.
 */
export interface EventStore {
  /** Appends atomically, assigning consecutive seq numbers per job (concurrent appenders, also in other processes, never collide or leave gaps). */
  append(jobId: string, events: JobEventInput[]): Promise<JobEvent[]>;
  /** History, oldest first, after `afterSeq` (default 0), at most `limit`. */
  list(jobId: string, options?: ListEventsOptions): Promise<JobEvent[]>;
  /** History after `afterSeq`, then live events as they are appended — each exactly once, in order — until `signal` aborts. */
  subscribe(jobId: string, afterSeq: number, signal: AbortSignal): AsyncIterable<JobEvent>;
  close(): Promise<void>;
}

export const DEFAULT_EVENT_LIST_LIMIT = 1_000;
