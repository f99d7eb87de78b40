/**
 * Workflows executed for real: the API submits steps as jobs, a real worker runs them (in child
 * processes), the scheduler follows their states. Diamond with a skipped branch, template
 * outputs, a failing step stopping its dependants, retry of failed steps, cancel, roles.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { JobView } from '../../src/jobs/index.js';
import { WorkflowScheduler, type WorkflowView } from '../../src/workflows/index.js';
import { bearer, createTestApp, type TestApp } from '../support/test-app.js';
import { testPostgresUrl } from '../support/team-services.js';
import { createWorkerHarness, waitForJob, type WorkerHarness } from '../support/worker-harness.js';

const FINISHED = ['succeeded', 'failed', 'cancelled'];

// SQLite always; PostgreSQL too when CRUCIBLE_TEST_POSTGRES_URL names one (team mode's metadata db).
const DIALECTS: Array<'sqlite' | 'postgres'> = testPostgresUrl ? ['sqlite', 'postgres'] : ['sqlite'];

describe.each(DIALECTS)('workflows run on a real worker (%s)', (dialect) => {
  let t: TestApp;
  let h: WorkerHarness;
  let scheduler: WorkflowScheduler;

  beforeAll(async () => {
    // A short lease: the worker heartbeats (and so notices a cancel) every leaseMs / 3.
    t = await createTestApp({ dialect, config: { queue: { leaseMs: 1_500 } } });
    // The fixture handler the harness's worker has: returns {text, attempt} as the step's outputs.
    t.ctx.jobs.types.register({ type: 'test.echo', payload: z.object({ text: z.string() }), role: 'editor', description: 'echoes its text (tests)' });
    h = await createWorkerHarness({ queue: t.ctx.queue, events: t.ctx.events, concurrency: 3 });
    scheduler = new WorkflowScheduler(t.ctx.workflows, t.ctx.jobs, { pollMs: 250 }).start();
  });
  afterAll(async () => {
    await scheduler.stop();
    await h.close();
    await t.close();
  });

  const submit = async (yaml: string, key = t.adminKey) =>
    t.app.inject({ method: 'POST', url: '/api/v1/workflows', headers: { ...bearer(key), 'content-type': 'application/yaml' }, payload: yaml });
  const get = async (id: string): Promise<WorkflowView> => (await t.app.inject({ method: 'GET', url: `/api/v1/workflows/${id}`, headers: bearer(t.adminKey) })).json();
  const job = async (id: string): Promise<JobView> => (await t.app.inject({ method: 'GET', url: `/api/v1/jobs/${id}`, headers: bearer(t.adminKey) })).json();
  const until = async (id: string, check: (view: WorkflowView) => boolean, timeoutMs = 45_000): Promise<WorkflowView> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const view = await get(id);
      if (check(view)) return view;
      if (Date.now() > deadline) throw new Error(`workflow ${id} did not get there: ${JSON.stringify(view, null, 2)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const finished = (id: string) => until(id, (view) => FINISHED.includes(view.state) && Object.values(view.steps).every((s) => FINISHED.includes(s.state) || s.state === 'skipped'));
  const states = (view: WorkflowView) => Object.fromEntries(Object.entries(view.steps).map(([id, step]) => [id, step.state]));

  it('runs a diamond: outputs flow into with, an if skips a branch, a join with its own if still runs', async () => {
    const response = await submit(`
name: diamond
steps:
  a:
    uses: test.echo
    with: { text: go }
  b:
    uses: test.echo
    needs: [a]
    with:
      text: "\${{ steps.a.outputs.text }}-b"
  c:
    uses: test.echo
    needs: a
    if: steps.a.outputs.text == 'stop'
    with: { text: never }
  after-c:
    uses: noop
    needs: [c]
  d:
    uses: test.echo
    needs: [b, c]
    if: steps.b.state == 'succeeded' && steps.c.state == 'skipped'
    with: { text: "\${{ steps.b.outputs.text }}" }
`);
    expect(response.statusCode, response.body).toBe(201);
    const { id } = response.json() as WorkflowView;
    expect(id).toMatch(/^wf_/);
    const view = await finished(id);
    expect(view.state).toBe('succeeded');
    expect(states(view)).toEqual({ a: 'succeeded', b: 'succeeded', c: 'skipped', 'after-c': 'skipped', d: 'succeeded' });
    expect(view.steps.c!.job_id).toBeNull();
    expect(view.steps.c!.reason).toContain("steps.a.outputs.text == 'stop'");
    expect(view.steps['after-c']!.reason).toContain('"c" was skipped');
    expect(view.steps.b!.outputs).toEqual({ text: 'go-b', attempt: 1 });
    expect((await job(view.steps.d!.job_id!)).payload).toEqual({ text: 'go-b' });
    expect(view.order.indexOf('d')).toBeGreaterThan(view.order.indexOf('b'));
    // b and d ran after a finished.
    const a = await job(view.steps.a!.job_id!);
    const b = await job(view.steps.b!.job_id!);
    expect(b.created_at >= a.finished_at!).toBe(true);
  });

  it('a failing step fails the workflow: its dependants are cancelled, an independent branch finishes; retries map to attempts', async () => {
    const { id } = (
      await submit(`
name: failing
steps:
  broken:
    uses: command
    retries: 1
    with: { command: [sh, -c, "echo nope >&2; exit 3"] }
  downstream:
    uses: noop
    needs: [broken]
  further:
    uses: noop
    needs: [downstream]
  independent:
    uses: noop
    with: { sleepMs: 200 }
`)
    ).json() as WorkflowView;
    const view = await finished(id);
    expect(view.state).toBe('failed');
    expect(states(view)).toEqual({ broken: 'failed', downstream: 'cancelled', further: 'cancelled', independent: 'succeeded' });
    expect(view.steps.broken!.reason).toContain('exited with code 3');
    expect(view.steps.downstream!.reason).toBe('its need "broken" failed');
    expect(view.steps.downstream!.job_id).toBeNull();
    const broken = await job(view.steps.broken!.job_id!);
    expect(broken.max_attempts).toBe(2);
    expect(broken.failed_attempts).toBe(2);
  });

  it('retry runs the failed steps and what depends on them again, keeping the succeeded ones', async () => {
    const marker = path.join(h.home, `marker-${randomUUID()}`);
    const { id } = (
      await submit(`
name: flaky
steps:
  first:
    uses: noop
  flaky:
    uses: command
    needs: [first]
    with: { command: [sh, -c, "test -e ${marker} || { touch ${marker}; exit 1; }"] }
  last:
    uses: test.echo
    needs: [flaky]
    with: { text: done }
`)
    ).json() as WorkflowView;
    const failed = await finished(id);
    expect(states(failed)).toEqual({ first: 'succeeded', flaky: 'failed', last: 'cancelled' });
    expect(existsSync(marker)).toBe(true);

    const retried = await t.app.inject({ method: 'POST', url: `/api/v1/workflows/${id}/retry`, headers: bearer(t.adminKey) });
    expect(retried.statusCode, retried.body).toBe(200);
    expect(retried.json().state).toMatch(/queued|running/);
    const view = await finished(id);
    expect(view.state).toBe('succeeded');
    expect(states(view)).toEqual({ first: 'succeeded', flaky: 'succeeded', last: 'succeeded' });
    expect(view.steps.first!.job_id).toBe(failed.steps.first!.job_id);
    expect(view.steps.first!.attempt).toBe(1);
    expect(view.steps.flaky!.job_id).not.toBe(failed.steps.flaky!.job_id);
    expect(view.steps.flaky!.attempt).toBe(2);

    const again = await t.app.inject({ method: 'POST', url: `/api/v1/workflows/${id}/retry`, headers: bearer(t.adminKey) });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('workflow_not_retryable');
  });

  it('cancel stops the running step and never starts the rest', async () => {
    const { id } = (
      await submit(`
name: long
steps:
  slow:
    uses: noop
    with: { sleepMs: 60000 }
  next:
    uses: noop
    needs: [slow]
`)
    ).json() as WorkflowView;
    await until(id, (view) => view.steps.slow!.state === 'running');
    const cancelled = await t.app.inject({ method: 'POST', url: `/api/v1/workflows/${id}/cancel`, headers: bearer(t.adminKey) });
    expect(cancelled.statusCode, cancelled.body).toBe(200);
    expect(cancelled.json().state).toBe('cancelled');
    const view = await until(id, (v) => v.steps.slow!.state === 'cancelled');
    expect(view.state).toBe('cancelled');
    expect(view.steps.next!.state).toBe('cancelled');
    expect(view.steps.next!.job_id).toBeNull();
    expect((await job(view.steps.slow!.job_id!)).state).toBe('cancelled');
  });

  it('a scheduler started later (a restarted server) reconciles a run whose jobs moved on meanwhile', async () => {
    await scheduler.stop();
    const { id } = (await submit('name: offline\nsteps:\n  a:\n    uses: noop\n  b:\n    uses: noop\n    needs: [a]\n')).json() as WorkflowView;
    const a = (await get(id)).steps.a!.job_id!;
    await waitForJob(t.ctx.queue, a, ['succeeded']);
    // Nothing drives the run while no scheduler runs: a's job is done, but b was never submitted.
    const stale = await get(id);
    expect([stale.steps.a!.state, stale.steps.b!.state, stale.steps.b!.job_id]).toEqual(['queued', 'queued', null]);
    scheduler = new WorkflowScheduler(t.ctx.workflows, t.ctx.jobs, { pollMs: 250 }).start();
    const view = await finished(id);
    expect(view.state).toBe('succeeded');
    expect(states(view)).toEqual({ a: 'succeeded', b: 'succeeded' });
  });

  it('lists runs newest first with step counts', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/api/v1/workflows?limit=2', headers: bearer(t.adminKey) });
    expect(response.statusCode).toBe(200);
    const page = response.json() as { items: Array<{ name: string; step_counts: Record<string, number> }>; next_cursor: string | null };
    expect(page.items.map((item) => item.name)).toEqual(['offline', 'long']);
    expect(page.items[0]!.step_counts).toEqual({ succeeded: 2 });
    expect(page.items[1]!.step_counts).toEqual({ cancelled: 2 });
    expect(page.next_cursor).not.toBeNull();
  });

  it('keeps role rules: an editor cannot run a workflow with a command step; a viewer cannot run any', async () => {
    const editor = await t.ctx.keys.create({ id: 'test', name: 'test', role: 'admin' }, { name: `editor-${randomUUID()}`, role: 'editor' });
    const viewer = await t.ctx.keys.create({ id: 'test', name: 'test', role: 'admin' }, { name: `viewer-${randomUUID()}`, role: 'viewer' });
    const yaml = 'name: sneaky\nsteps:\n  ok:\n    uses: noop\n  cmd:\n    uses: command\n    with: { command: [id] }\n';
    const refused = await submit(yaml, editor.key);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.message).toContain('Step "cmd" runs a command job, which needs the admin role');
    expect((await submit('name: fine\nsteps:\n  ok:\n    uses: noop\n', viewer.key)).statusCode).toBe(403);
    const ok = await submit('name: fine\nsteps:\n  ok:\n    uses: noop\n', editor.key);
    expect(ok.statusCode).toBe(201);
    expect((await finished(ok.json().id)).state).toBe('succeeded');
  });

  it('accepts JSON (the workflow itself, or {yaml}) and refuses an invalid one with every finding, creating nothing', async () => {
    const asJson = await t.app.inject({
      method: 'POST',
      url: '/api/v1/workflows',
      headers: bearer(t.adminKey),
      payload: { name: 'json', steps: { only: { uses: 'noop' } } },
    });
    expect(asJson.statusCode, asJson.body).toBe(201);
    const before = (await t.app.inject({ method: 'GET', url: '/api/v1/workflows?limit=500', headers: bearer(t.adminKey) })).json().items.length;
    const bad = await t.app.inject({
      method: 'POST',
      url: '/api/v1/workflows',
      headers: bearer(t.adminKey),
      payload: { yaml: 'name: bad\nsteps:\n  a:\n    uses: noop\n    needs: [b]\n  b:\n    uses: noop\n    needs: [a]\n' },
    });
    expect(bad.statusCode).toBe(400);
    const error = bad.json().error;
    expect(error.code).toBe('workflow_invalid');
    expect(error.message).toContain('5:13 steps.a.needs[0]: cycle a → b → a');
    expect(error.details.findings).toEqual([expect.objectContaining({ path: 'steps.a.needs[0]', line: 5, column: 13, code: 'workflow_cycle' })]);
    const after = (await t.app.inject({ method: 'GET', url: '/api/v1/workflows?limit=500', headers: bearer(t.adminKey) })).json().items.length;
    expect(after).toBe(before);

    const validated = await t.app.inject({
      method: 'POST',
      url: '/api/v1/workflows/validate',
      headers: { ...bearer(t.adminKey), 'content-type': 'application/yaml' },
      payload: 'name: v\nsteps:\n  a:\n    uses: nop\n',
    });
    expect(validated.statusCode).toBe(200);
    expect(validated.json()).toEqual({
      valid: false,
      findings: [expect.objectContaining({ path: 'steps.a.uses', line: 4, column: 11, code: 'workflow_step_type_unknown' })],
    });
    expect(validated.json().findings[0].message).toContain('(did you mean "noop"?)');
  });

  it('answers 404 for an unknown workflow', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/api/v1/workflows/wf_nope', headers: bearer(t.adminKey) });
    expect(response.statusCode).toBe(404);
    expect(response.json().error.code).toBe('workflow_not_found');
  });
});
