import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunView } from '../../src/tracking/index.js';
import { CLI, type CliResult } from '../support/cli.js';
import { bearer, createTestApp, type TestApp } from '../support/test-app.js';

/** `crucible ARGS` without blocking this process: the server under test runs in it. */
function runCli(args: string[], options: { cwd: string; env: Record<string, string> }): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

describe('crucible run list | show | compare', () => {
  let t: TestApp;
  let cwd: string;
  let env: Record<string, string>;
  let a: RunView;
  let b: RunView;

  beforeAll(async () => {
    t = await createTestApp();
    const url = await t.app.listen({ host: '127.0.0.1', port: 0 });
    cwd = mkdtempSync(path.join(tmpdir(), 'crucible-run-cli-'));
    env = { CRUCIBLE_URL: url, CRUCIBLE_API_KEY: t.adminKey, CRUCIBLE_HOME: cwd };
    const create = async (body: Record<string, unknown>) => (await t.app.inject({ method: 'POST', url: '/api/v1/runs', headers: bearer(t.adminKey), payload: body })).json<RunView>();
    a = await create({ name: 'small-lr', params: { lr: 0.001, layers: 4, optimizer: 'adamw' }, tags: { sweep: 'lr' } });
    b = await create({ name: 'big-lr', params: { lr: 0.01, layers: 4 }, tags: { sweep: 'lr' } });
    const log = (id: string, metrics: Array<{ name: string; value: number; step: number }>) =>
      t.app.inject({ method: 'POST', url: `/api/v1/runs/${id}/log-batch`, headers: bearer(t.adminKey), payload: { metrics } });
    await log(a.id, [0, 100, 200].map((step) => ({ name: 'loss', value: 4 - step / 100, step })));
    await log(b.id, [0, 50, 100, 150].map((step) => ({ name: 'loss', value: 5 - step / 50, step })));
    await t.app.inject({ method: 'PATCH', url: `/api/v1/runs/${a.id}`, headers: bearer(t.adminKey), payload: { status: 'finished' } });
  });
  afterAll(async () => {
    await t?.close();
    if (cwd) rmSync(cwd, { recursive: true, force: true });
  });

  it('compare prints the params that differ and metrics aligned by step, as a table and as JSON', async () => {
    const human = await runCli(['run', 'compare', a.id, b.id], { cwd, env });
    expect(human.code, human.stderr).toBe(0);
    const lines = human.stdout.split('\n');
    expect(lines[0]).toMatch(/^PARAM\s+small-lr \(run_\w+\)\s+big-lr \(run_\w+\)$/);
    expect(lines.find((l) => l.startsWith('lr '))).toMatch(/^lr\s+0\.001\s+0\.01$/);
    expect(lines.find((l) => l.startsWith('optimizer '))).toMatch(/^optimizer\s+adamw\s+-$/);
    expect(human.stdout).toContain('Same in all: layers=4');
    expect(lines.find((l) => l.startsWith('loss '))).toMatch(/^loss\s+2 @200\s+2 @150$/);

    const series = await runCli(['run', 'compare', a.id, b.id, '--metric', 'loss'], { cwd, env });
    expect(series.code, series.stderr).toBe(0);
    const table = series.stdout.slice(series.stdout.indexOf('STEP')).trim().split('\n').map((l) => l.trim().split(/\s+/));
    expect(table.slice(1)).toEqual([
      ['0', '4', '5'],
      ['50', '-', '4'],
      ['100', '3', '3'],
      ['150', '-', '2'],
      ['200', '2', '-'],
    ]);

    const json = await runCli(['--json', 'run', 'compare', a.id, b.id], { cwd, env });
    expect(json.code, json.stderr).toBe(0);
    const parsed = JSON.parse(json.stdout);
    expect(parsed.metrics).toEqual([{ name: 'loss', steps: [0, 50, 100, 150, 200], values: { [a.id]: [4, null, 3, null, 2], [b.id]: [5, 4, 3, 2, null] } }]);
    expect(parsed.params.differing.map((d: { key: string }) => d.key)).toEqual(['lr', 'optimizer']);
  });

  it('list and show print tables; --json is the API result', async () => {
    const list = await runCli(['run', 'list', '--tag', 'sweep=lr'], { cwd, env });
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout.split('\n')[0]).toMatch(/^ID\s+NAME\s+STATUS\s+JOB\s+STARTED\s+ENDED\s+METRICS$/);
    expect(list.stdout).toMatch(new RegExp(`${b.id}\\s+big-lr\\s+running\\s+-`));
    expect(list.stdout).toMatch(new RegExp(`${a.id}\\s+small-lr\\s+finished`));

    const show = await runCli(['run', 'show', a.id], { cwd, env });
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toMatch(/status\s+finished/);
    expect(show.stdout).toMatch(/optimizer\s+adamw/);
    expect(show.stdout).toMatch(/loss\s+2\s+200/);

    const json = await runCli(['--json', 'run', 'list', '--status', 'finished'], { cwd, env });
    expect(JSON.parse(json.stdout).items.map((r: RunView) => r.id)).toEqual([a.id]);
  });

  it('refusals: one id is a usage error (2), an unknown run is refused (1), help has examples', async () => {
    expect((await runCli(['run', 'compare', a.id], { cwd, env })).code).toBe(2);
    const unknown = await runCli(['run', 'compare', a.id, 'run_nope'], { cwd, env });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('No run run_nope');
    const help = await runCli(['run', 'compare', '--help'], { cwd, env });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Examples:');
  });
});
