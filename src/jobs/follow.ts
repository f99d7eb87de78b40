import type { EventStore, JobEvent } from '../platform/events/index.js';
import { TERMINAL_STATES, type JobQueue } from '../platform/queue/index.js';

/**
 * How long a finished job may go without its final state event before a follower stops anyway
 * (a worker that died between finishing the job and appending the event).
 */
const MISSING_FINAL_EVENT_GRACE_MS = 10_000;

const TICK = Symbol('tick');

/**
 * Follows one job's stream until it is complete: after a terminal `state` event, if the job is
 * still finished (not retried meanwhile) and no event follows it, the stream ends. Every `checkMs`
 * of silence the job is also checked, for a stream whose final event never comes.
 */
export async function* follow(options: {
  queue: JobQueue;
  events: EventStore;
  jobId: string;
  afterSeq: number;
  signal: AbortSignal;
  checkMs: number;
  /** Defaults to MISSING_FINAL_EVENT_GRACE_MS. */
  graceMs?: number;
}): AsyncGenerator<JobEvent> {
  const { queue, events, jobId, signal, checkMs } = options;
  const graceMs = options.graceMs ?? MISSING_FINAL_EVENT_GRACE_MS;
  const inner = new AbortController();
  const onAbort = () => inner.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  const iterator = events.subscribe(jobId, options.afterSeq, inner.signal)[Symbol.asyncIterator]();
  let last = options.afterSeq;

  const isComplete = async (requireGrace: boolean): Promise<boolean> => {
    const job = await queue.get(jobId);
    if (!TERMINAL_STATES.includes(job.state)) return false;
    if (requireGrace && job.finishedAt && Date.now() - Date.parse(job.finishedAt) < graceMs) return false;
    return (await events.list(jobId, { afterSeq: last, limit: 1 })).length === 0;
  };

  try {
    // Read ahead one event; a read still pending when we stop must not surface as an unhandled rejection.
    const readNext = () => {
      const pending = iterator.next();
      pending.catch(() => undefined);
      return pending;
    };
    let next = readNext();
    while (!signal.aborted) {
      let timer: NodeJS.Timeout | undefined;
      const tick = new Promise<typeof TICK>((resolve) => {
        timer = setTimeout(() => resolve(TICK), checkMs);
      });
      const result = await Promise.race([next, tick]);
      clearTimeout(timer);
      if (result === TICK) {
        if (await isComplete(true)) return;
        continue;
      }
      if (result.done) return;
      next = readNext();
      const event = result.value;
      last = event.seq;
      yield event;
      if (event.kind === 'state' && TERMINAL_STATES.includes(event.state) && (await isComplete(false))) return;
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    inner.abort();
    await iterator.return?.().catch(() => undefined);
  }
}
