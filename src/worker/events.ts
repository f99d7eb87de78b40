/**
 * The slice of the job event store (src/platform/events) that the worker writes to. Kept structural
 * so the worker depends on "something that appends", not on an adapter.
 */
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

export interface JobEventSink {
  append(jobId: string, events: JobEventInput[]): Promise<unknown>;
}
