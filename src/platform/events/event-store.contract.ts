import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { CrucibleError } from '../errors.js';
import type { EventStore, JobEvent, JobEventInput } from './event.js';

/** One backing store (a SQLite file, a PostgreSQL database, a Redis server) that a test opens event stores on. */
export interface EventStoreContractTarget {
  /** A store on this target; every call opens the same backing store again, as another process would. */
  open(): Promise<EventStore>;
  /** Removes what the target made. Stores opened on it are closed first by the suite. */
  cleanup(): Promise<void>;
}

const log = (message: string): JobEventInput => ({ kind: 'log', level: 'info', message });

/** Collects events from `iterable` until `until` says stop; a generous deadline, as CPUs are shared. */
async function collect(iterable: AsyncIterable<JobEvent>, until: (seen: JobEvent[]) => boolean, timeoutMs = 20_000): Promise<JobEvent[]> {
  const seen: JobEvent[] = [];
  const timeout = new Promise<never>((_, reject) => {
    const timer = setTimeout(() => reject(new Error(`stream stalled after ${seen.length} events (${timeoutMs} ms)`)), timeoutMs);
    timer.unref();
  });
  const reading = (async () => {
    for await (const event of iterable) {
      seen.push(event);
      if (until(seen)) break;
    }
    return seen;
  })();
  return Promise.race([reading, timeout]);
}

const seqs = (events: JobEvent[]) => events.map((event) => event.seq);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/**
 * The behaviour every EventStore must have (src/platform/events/event.ts).
 * @example describeEventStoreContract('db (SQLite)', sqliteTarget)
 */
export function describeEventStoreContract(name: string, create: () => Promise<EventStoreContractTarget>): void {
  describe(`EventStore contract: ${name}`, () => {
    let target: EventStoreContractTarget | undefined;
    const opened: EventStore[] = [];
    const controllers: AbortController[] = [];

    async function open(): Promise<EventStore> {
      target ??= await create();
      const store = await target.open();
      opened.push(store);
      return store;
    }
    function signal(): AbortSignal {
      const controller = new AbortController();
      controllers.push(controller);
      return controller.signal;
    }
    const job = () => `job_test_${randomUUID()}`;

    afterEach(async () => {
      for (const controller of controllers.splice(0)) controller.abort();
      for (const store of opened.splice(0)) await store.close();
      await target?.cleanup();
      target = undefined;
    });

    it('assigns seq 1, 2, 3 … per job, with the job id and the time, and keeps each field', async () => {
      const store = await open();
      const [a, b] = [job(), job()];
      const first = await store.append(a, [
        log('one'),
        { kind: 'metric', name: 'loss', value: 2.5, step: 10 },
        { kind: 'progress', done: 3, total: 10, message: 'tokenizing' },
      ]);
      expect(seqs(first)).toEqual([1, 2, 3]);
      expect(first[0]).toMatchObject({ jobId: a, kind: 'log', level: 'info', message: 'one' });
      expect(Number.isNaN(Date.parse(first[0]!.at))).toBe(false);
      const second = await store.append(a, [
        { kind: 'state', state: 'failed', attempt: 2, error: { message: 'boom', stack: 'Error: boom\n  at x', code: 'handler_error' } },
      ]);
      expect(seqs(second)).toEqual([4]);
      expect(seqs(await store.append(b, [log('other job')]))).toEqual([1]);
      expect(await store.append(a, [])).toEqual([]);

      const listed = await store.list(a);
      expect(listed).toEqual([...first, ...second]);
      expect(listed[3]).toMatchObject({ kind: 'state', state: 'failed', attempt: 2, error: { message: 'boom', stack: 'Error: boom\n  at x', code: 'handler_error' } });
    });

    it('never collides or leaves gaps with concurrent appenders on two store instances', async () => {
      const [one, two] = [await open(), await open()];
      const id = job();
      const batches = await Promise.all(
        range(1, 16).map((i) => (i % 2 ? one : two).append(id, [log(`${i}.a`), log(`${i}.b`), log(`${i}.c`)])),
      );
      for (const batch of batches) expect(seqs(batch)).toEqual(range(batch[0]!.seq, batch[0]!.seq + 2));
      expect(seqs(batches.flat()).sort((x, y) => x - y)).toEqual(range(1, 48));
      expect(seqs(await one.list(id))).toEqual(range(1, 48));
    });

    it('lists oldest first after a seq, a page at a time, optionally of some kinds only', async () => {
      const store = await open();
      const id = job();
      await store.append(
        id,
        range(1, 10).map((i) => (i % 3 === 0 ? { kind: 'metric', name: 'loss', value: i, step: i } : log(`line ${i}`))),
      );
      expect(seqs(await store.list(id, { afterSeq: 4, limit: 3 }))).toEqual([5, 6, 7]);
      expect(seqs(await store.list(id, { afterSeq: 9 }))).toEqual([10]);
      expect(await store.list(id, { afterSeq: 10 })).toEqual([]);
      expect(seqs(await store.list(id, { kinds: ['metric'] }))).toEqual([3, 6, 9]);
      expect(seqs(await store.list(id, { kinds: ['metric'], afterSeq: 3, limit: 1 }))).toEqual([6]);
      expect(seqs(await store.list(id, { kinds: ['state'] }))).toEqual([]);
      expect(await store.list(job())).toEqual([]);
    });

    it('refuses a malformed event, naming the field, and stores nothing', async () => {
      const store = await open();
      const id = job();
      let caught: unknown;
      try {
        await store.append(id, [log('fine'), { kind: 'metric', name: 'loss', value: 'high' } as unknown as JobEventInput]);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(CrucibleError);
      expect(caught).toMatchObject({ code: 'job_event_invalid' });
      expect((caught as Error).message).toContain('1.value');
      expect(await store.list(id)).toEqual([]);
    });

    it('subscribes: history after a seq, then live events, each once and in order', async () => {
      const store = await open();
      const id = job();
      await store.append(id, [log('1'), log('2'), log('3')]);
      const reading = collect(store.subscribe(id, 1, signal()), (seen) => seen.length >= 5);
      await store.append(id, [log('4')]);
      await store.append(id, [log('5'), log('6')]);
      const seen = await reading;
      expect(seqs(seen)).toEqual([2, 3, 4, 5, 6]);
      expect(seen.map((event) => (event.kind === 'log' ? event.message : ''))).toEqual(['2', '3', '4', '5', '6']);
    });

    it('loses and repeats nothing across the history/live boundary while appends race it', async () => {
      const store = await open();
      const id = job();
      await store.append(id, range(1, 20).map((i) => log(String(i))));
      const writing = (async () => {
        for (let i = 0; i < 20; i++) await store.append(id, [log(`live ${i}`), log(`live ${i}b`)]);
      })();
      const seen = await collect(store.subscribe(id, 0, signal()), (events) => events.length >= 60);
      await writing;
      expect(seqs(seen)).toEqual(range(1, 60));
    });

    it('ends the iteration when the signal aborts, also while waiting for events', async () => {
      const store = await open();
      const id = job();
      await store.append(id, [log('1')]);
      const controller = new AbortController();
      const seen: JobEvent[] = [];
      const done = (async () => {
        for await (const event of store.subscribe(id, 0, controller.signal)) seen.push(event);
        return 'ended';
      })();
      for (let waited = 0; seen.length < 1 && waited < 15_000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
      controller.abort();
      expect(await Promise.race([done, new Promise((resolve) => setTimeout(() => resolve('still running'), 15_000))])).toBe('ended');
      expect(seqs(seen)).toEqual([1]);
      const aborted = new AbortController();
      aborted.abort();
      const none: JobEvent[] = [];
      for await (const event of store.subscribe(id, 0, aborted.signal)) none.push(event);
      expect(none).toEqual([]);
    });

    it('shows a subscriber on one store the events appended through another (another process)', async () => {
      const [reader, writer] = [await open(), await open()];
      const id = job();
      await writer.append(id, [log('before')]);
      const reading = collect(reader.subscribe(id, 0, signal()), (seen) => seen.length >= 3);
      await writer.append(id, [log('after 1')]);
      await writer.append(id, [log('after 2')]);
      expect(seqs(await reading)).toEqual([1, 2, 3]);
    });
  });
}
