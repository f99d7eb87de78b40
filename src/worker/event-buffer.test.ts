import { describe, expect, it } from 'vitest';
import { createLogger } from '../platform/logger.js';
import { EventBuffer } from './event-buffer.js';
import type { JobEventInput } from './events.js';

describe('EventBuffer', () => {
  it('appends in order, in batches, and replaces an event the store would refuse by a warning', async () => {
    const batches: JobEventInput[][] = [];
    const sink = { append: async (_jobId: string, events: JobEventInput[]) => void batches.push(events) };
    const buffer = new EventBuffer(sink as never, 'job_1', createLogger({ log: { level: 'silent' } }), 10_000, 3);
    buffer.push({ kind: 'log', level: 'info', message: 'a' });
    buffer.push({ kind: 'metric', name: 'loss', value: 1, step: 1.5 });
    buffer.push({ kind: 'log', level: 'info', message: 'b' }); // third: a full batch flushes
    buffer.push({ kind: 'log', level: 'info', message: 'c' });
    await buffer.flush();
    expect(batches.map((b) => b.length)).toEqual([3, 1]);
    expect(batches[0]![1]).toMatchObject({ kind: 'log', level: 'warn', message: expect.stringContaining('dropped an invalid metric event: step') });
    expect(batches.flat().map((e) => (e.kind === 'log' ? e.message : e.kind)).filter((m) => m.length === 1)).toEqual(['a', 'b', 'c']);
  });
});
