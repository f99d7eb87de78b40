import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { defineHandler } from '../handler.js';

/** `noop`: does nothing, for `sleepMs` (smoke tests, benchmarks, checking that workers run). */
export default defineHandler({
  type: 'noop',
  payloadSchema: z.object({ sleepMs: z.number().int().min(0).max(3_600_000).default(0) }),
  run: async ({ payload, signal }) => {
    if (payload.sleepMs > 0) await sleep(payload.sleepMs, undefined, { signal });
    return null;
  },
});
