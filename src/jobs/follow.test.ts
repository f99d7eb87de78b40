import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../platform/db/index.js';
import { migrateToLatest } from '../platform/db/index.js';
import { openSqlite } from '../platform/db/sqlite.js';
import { DbEventStore } from '../platform/events/db-event-store.js';
import type { JobEvent, JobEventInput } from '../platform/events/index.js';
import { DbQueue } from '../platform/queue/index.js';
import { follow } from './follow.js';

const FREE = { cpu: 8, memoryMb: 8_192, gpus: 0 };
const log = (message: string): JobEventInput => ({ kind: 'log', level: 'info', message });

describe('follow', () => {
  let database: Database;
  let queue: DbQueue;
  let events: DbEventStore;

  beforeEach(async () => {
    database = await openSqlite(':memory:');
    await migrateToLatest(database.db);
    queue = new DbQueue(database);
    events = new DbEventStore(database, { pollMs: 50 });
  });
  afterEach(async () => {
    await events.close();
    await database.close();
  });

  async function drain(iterable: AsyncIterable<JobEvent>, onEvent: (event: JobEvent) => Promise<void> = async () => undefined): Promise<number[]> {
    const seqs: number[] = [];
    for await (const event of iterable) {
      seqs.push(event.seq);
      await onEvent(event);
    }
    return seqs;
  }

  it('ends after the final state event of a finished job, with nothing left out', async () => {
    const job = await queue.enqueue({ type: 'test.follow' });
    const leased = (await queue.lease('w', { resources: FREE }))!;
    await events.append(job.id, [{ kind: 'state', state: 'running' }, log('work')]);
    const stream = follow({ queue, events, jobId: job.id, afterSeq: 0, signal: new AbortController().signal, checkMs: 5_000 });
    const seqs = await drain(stream, async (event) => {
      if (event.seq === 2) {
        await queue.complete(job.id, leased.leaseToken);
        await events.append(job.id, [log('last words'), { kind: 'state', state: 'succeeded' }]);
      }
    });
    expect(seqs).toEqual([1, 2, 3, 4]);
  });

  it('goes on past a final state when the job was retried since', async () => {
    const job = await queue.enqueue({ type: 'test.follow' });
    await queue.cancel(job.id);
    await events.append(job.id, [{ kind: 'state', state: 'cancelled' }]);
    await queue.retry(job.id);
    await events.append(job.id, [{ kind: 'state', state: 'queued' }]);
    const controller = new AbortController();
    const seqs = await drain(follow({ queue, events, jobId: job.id, afterSeq: 0, signal: controller.signal, checkMs: 50 }), async (event) => {
      if (event.seq === 2) setTimeout(() => controller.abort(), 300);
    });
    expect(seqs).toEqual([1, 2]);
    expect(controller.signal.aborted).toBe(true);
  });

  it('ends for a finished job whose final event never came, once the grace period is over', async () => {
    const job = await queue.enqueue({ type: 'test.follow' });
    await queue.cancel(job.id);
    await events.append(job.id, [log('no final state event follows')]);
    const seqs = await drain(follow({ queue, events, jobId: job.id, afterSeq: 0, signal: new AbortController().signal, checkMs: 50, graceMs: 200 }));
    expect(seqs).toEqual([1]);
  });
});
