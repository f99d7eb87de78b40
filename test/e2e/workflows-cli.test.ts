/**
 * `crucible workflow …` against `crucible start` (in-process workers): validate with line:column
 * findings and exit 1, run --json → {"id"}, status --json, run --wait, and a server stopped and
 * started again mid-workflow: the workflow completes.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkflowView } from '../../src/workflows/index.js';
import { runCli, startCliServer, stopCliServer, type StartedServer } from '../support/cli.js';

// A short lease: the job that the stopped server was running comes back to the queue soon after.
const SERVER_ENV = { CRUCIBLE_WORKER_CONCURRENCY: '2', CRUCIBLE_QUEUE_LEASE_MS: '2000' };

describe('crucible workflow', () => {
  let dir: string;
  let server: StartedServer;
  let adminKey: string;
  const env = () => ({ CRUCIBLE_URL: server.url, CRUCIBLE_API_KEY: adminKey });
  const cli = (...args: string[]) => runCli(args, { cwd: dir, env: env() });
  const file = (name: string, text: string) => {
    writeFileSync(path.join(dir, name), text);
    return name;
  };
  const status = async (id: string): Promise<WorkflowView> =>
    (await fetch(`${server.url}/api/v1/workflows/${id}`, { headers: { authorization: `Bearer ${adminKey}` } })).json() as Promise<WorkflowView>;
  const until = async (id: string, check: (view: WorkflowView) => boolean, timeoutMs = 60_000): Promise<WorkflowView> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const view = await status(id);
      if (check(view)) return view;
      if (Date.now() > deadline) throw new Error(`workflow ${id}: ${JSON.stringify(view, null, 2)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'crucible-workflow-cli-'));
    server = await startCliServer({ cwd: dir, env: SERVER_ENV });
    adminKey = readFileSync(path.join(dir, '.crucible', 'admin.key'), 'utf8').trim();
  });
  afterAll(async () => {
    if (server) await stopCliServer(server);
    rmSync(dir, { recursive: true, force: true });
  });

  it('validate prints every finding with FILE:line:column and exits 1; --json carries them as details', () => {
    const bad = file('bad.yaml', 'name: bad\nsteps:\n  a:\n    uses: noop\n    needs: [valdiate]\n  b:\n    uses: nope\n    if: steps.a.outputs.x = 1\n');
    const human = cli('workflow', 'validate', bad);
    expect(human.code).toBe(1);
    expect(human.stderr).toContain('bad.yaml has 3 errors');
    expect(human.stderr).toContain('bad.yaml:5:13 steps.a.needs[0]: unknown step "valdiate"');
    expect(human.stderr).toContain('bad.yaml:7:11 steps.b.uses: unknown job type "nope"');
    expect(human.stderr).toContain('bad.yaml:8:27 steps.b.if: bad condition');
    const json = cli('--json', 'workflow', 'validate', bad);
    expect(json.code).toBe(1);
    const parsed = JSON.parse(json.stdout) as { error: { code: string; details: { findings: Array<{ path: string; line: number; column: number }> } } };
    expect(parsed.error.code).toBe('workflow_invalid');
    expect(parsed.error.details.findings.map((f) => `${f.line}:${f.column} ${f.path}`)).toEqual(['5:13 steps.a.needs[0]', '7:11 steps.b.uses', '8:27 steps.b.if']);
    const run = cli('workflow', 'run', bad);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('bad.yaml:5:13');
  });

  it('run --json prints {"id"}; status --json prints {"id","state","steps":{id:{"state"}}}', async () => {
    const ok = file('ok.yaml', 'name: ok\nsteps:\n  first:\n    uses: noop\n  second:\n    uses: noop\n    needs: [first]\n');
    const run = cli('--json', 'workflow', 'run', ok);
    expect(run.code, run.stderr).toBe(0);
    const { id } = JSON.parse(run.stdout) as { id: string };
    expect(Object.keys(JSON.parse(run.stdout))).toEqual(['id']);
    await until(id, (view) => view.state === 'succeeded');
    const shown = cli('--json', 'workflow', 'status', id);
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ id, state: 'succeeded', steps: { first: { state: 'succeeded' }, second: { state: 'succeeded' } } });
    const human = cli('workflow', 'status', id);
    expect(human.stdout).toMatch(/second\s+noop\s+succeeded\s+job_\S+\s+first/);
  });

  it('run --wait follows the run; a failing workflow exits 1 naming the failed step', () => {
    const failing = file('failing.yaml', 'name: failing\nsteps:\n  boom:\n    uses: command\n    with: { command: [sh, -c, "exit 7"] }\n  after:\n    uses: noop\n    needs: [boom]\n');
    const run = cli('workflow', 'run', failing, '--wait');
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/boom failed \(job job_\S+\): sh exited with code 7/);
    expect(run.stderr).toContain('step boom failed');
    expect(run.stderr).toContain('crucible workflow retry');
  });

  it('cancel stops a running workflow; retry --wait runs its cancelled steps again to success', async () => {
    const marker = path.join(dir, 'ran-once');
    const flaky = file('cancel.yaml', `name: cancel-me\nsteps:\n  first:\n    uses: noop\n  hang:\n    uses: command\n    needs: [first]\n    with: { command: [sh, -c, "if [ -e ${marker} ]; then exit 0; fi; touch ${marker}; exec sleep 60"] }\n  last:\n    uses: noop\n    needs: [hang]\n`);
    const { id } = JSON.parse(cli('--json', 'workflow', 'run', flaky).stdout) as { id: string };
    await until(id, (view) => view.steps.hang!.state === 'running');
    const cancelled = cli('--json', 'workflow', 'cancel', id);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(JSON.parse(cancelled.stdout)).toMatchObject({ id, state: 'cancelled', steps: { last: { state: 'cancelled' } } });
    await until(id, (view) => view.steps.hang!.state === 'cancelled');
    const retried = cli('workflow', 'retry', id, '--wait');
    expect(retried.code, retried.stderr).toBe(0);
    expect(retried.stdout).toContain(`Workflow ${id} succeeded.`);
    const view = await status(id);
    expect(Object.values(view.steps).map((step) => step.state)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(view.steps.hang!.attempt).toBe(2);
  });

  it('completes a workflow across a server restart (the reconciler picks it up)', async () => {
    const slow = file('slow.yaml', 'name: slow\nsteps:\n  first:\n    uses: noop\n  slow:\n    uses: noop\n    needs: [first]\n    with: { sleepMs: 4000 }\n  last:\n    uses: noop\n    needs: [slow]\n');
    const run = cli('--json', 'workflow', 'run', slow);
    expect(run.code, run.stderr).toBe(0);
    const { id } = JSON.parse(run.stdout) as { id: string };
    await until(id, (view) => view.steps.slow!.state === 'running');
    expect(await stopCliServer(server)).toBe(0);
    server = await startCliServer({ cwd: dir, env: SERVER_ENV });
    const view = await until(id, (v) => v.state === 'succeeded' || v.state === 'failed');
    expect(view.state).toBe('succeeded');
    expect(Object.values(view.steps).map((step) => step.state)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    // The slow step really was interrupted: its job went back to the queue and ran again.
    const job = (await (await fetch(`${server.url}/api/v1/jobs/${view.steps.slow!.job_id}`, { headers: { authorization: `Bearer ${adminKey}` } })).json()) as { lease_lapses: number };
    expect(job.lease_lapses).toBeGreaterThanOrEqual(1);
  });
});
