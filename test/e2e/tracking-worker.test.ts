import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../src/auth/index.js';
import { trackedEventSink, type RunView } from '../../src/tracking/index.js';
import { handlerRegistry } from '../../src/worker/handler-registry.js';
import { Worker } from '../../src/worker/worker.js';
import { bearer, createTestApp, type TestApp } from '../support/test-app.js';

/**
 * A real worker whose event sink is trackedEventSink (what `crucible worker` must pass; `crucible
 * start` passes withRunTracking(ctx.events, ctx.tracking)): a command job's CRUCIBLE_METRIC lines land in the job's run.
 */
describe("a job's metric events land in its run through the worker", () => {
  let t: TestApp;
  let worker: Worker;

  beforeAll(async () => {
    t = await createTestApp();
    worker = new Worker({
      queue: t.ctx.queue,
      // As `crucible worker` would: no TrackingService there, only the db and the event store.
      events: trackedEventSink({ database: t.ctx.database, events: t.ctx.events, jobs: t.ctx.queue, logger: t.ctx.logger }),
      handlers: handlerRegistry({}),
      logger: t.ctx.logger,
      workRoot: path.join(t.config.home, 'work'),
      resources: { cpu: 4, memoryMb: 4_096, gpus: 0 },
      concurrency: 1,
      pollMs: 50,
      abortGraceMs: 1_000,
    });
    worker.start();
  });
  afterAll(async () => {
    await worker?.stop(5_000);
    await t?.close();
  });

  it('a command job printing CRUCIBLE_METRIC lines gets a finished run with those points', async () => {
    const script = 'import json\nfor step in range(5):\n    print("CRUCIBLE_METRIC " + json.dumps({"name": "loss", "value": 1.0 / (step + 1), "step": step}), flush=True)\nprint("done")';
    const job = await t.ctx.jobs.submit(SYSTEM_ACTOR, { type: 'command', payload: { command: ['/usr/bin/python3', '-c', script] } });
    const deadline = Date.now() + 30_000;
    let run: RunView | undefined;
    while (Date.now() < deadline) {
      const items = (await t.app.inject({ url: `/api/v1/runs?job=${job.id}`, headers: bearer(t.adminKey) })).json<{ items: RunView[] }>().items;
      run = items[0];
      if (run?.status === 'finished') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(run).toMatchObject({ job_id: job.id, status: 'finished', tags: { 'crucible.job_type': 'command' }, metrics: { loss: { step: 4, value: 0.2 } } });
    const points = (await t.app.inject({ url: `/api/v1/runs/${run!.id}/metrics?name=loss`, headers: bearer(t.adminKey) })).json().items;
    expect(points.map((p: { step: number; value: number }) => [p.step, p.value])).toEqual([[0, 1], [1, 0.5], [2, 1 / 3], [3, 0.25], [4, 0.2]]);
  });
});
