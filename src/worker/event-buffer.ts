import { JobEventInputSchema } from '../platform/events/index.js';
import type { Logger } from '../platform/logger.js';
import type { JobEventInput, JobEventSink } from './events.js';

/**
 * Batches one job's events into few appends (a chatty handler would otherwise cost one db write per
 * log line), in order: appends are chained, never concurrent. A failed append is logged and dropped:
 * losing a log line must not fail the job.
 */
export class EventBuffer {
  private pending: JobEventInput[] = [];
  private chain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly sink: JobEventSink,
    private readonly jobId: string,
    private readonly logger: Logger,
    private readonly flushMs = 100,
    private readonly maxBatch = 500,
  ) {}

  /**
   * Queues an event. One the store would refuse (a handler's metric with a fractional step, say) is
   * replaced by a warning here, so it cannot take a whole batch of good events down with it.
   */
  push(event: JobEventInput): void {
    const parsed = JobEventInputSchema.safeParse(event);
    this.pending.push(
      parsed.success
        ? event
        : { kind: 'log', level: 'warn', message: `dropped an invalid ${String((event as { kind?: unknown }).kind)} event: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}` },
    );
    if (this.pending.length >= this.maxBatch) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.flushMs);
  }

  /** Resolves once everything pushed so far is appended (or dropped after an error). */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    if (batch.length > 0) {
      this.chain = this.chain.then(() =>
        this.sink.append(this.jobId, batch).then(
          () => undefined,
          (err: unknown) => this.logger.warn({ err, jobId: this.jobId, dropped: batch.length }, 'could not append job events'),
        ),
      );
    }
    return this.chain;
  }
}
