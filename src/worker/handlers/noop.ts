import { setTimeout as sleep } from 'node:timers/promises';
import { NoopPayloadSchema } from '../../jobs/job-types.js';
import { defineHandler } from '../handler.js';

/** `noop`: does nothing, for `sleepMs` (smoke tests, benchmarks, checking that workers run). */
export default defineHandler({
  type: 'noop',
  payloadSchema: NoopPayloadSchema,
  run: async ({ payload, signal }) => {
    if (payload.sleepMs > 0) await sleep(payload.sleepMs, undefined, { signal });
    return null;
  },
});
