import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../src/auth/index.js';
import { CrucibleApiError, CrucibleClient } from '../../src/client/index.js';
import type { RunView } from '../../src/tracking/index.js';
import { REPO_ROOT } from '../support/cli.js';
import { bearer, createTestApp, type TestApp } from '../support/test-app.js';

const PYTHON = '/usr/bin/python3';

function runPython(script: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, ['-c', script, ...args], { env: { PATH: process.env.PATH, PYTHONDONTWRITEBYTECODE: '1', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('tracking clients against a real server', () => {
  let t: TestApp;
  let url: string;
  let editor: string;
  let dir: string;

  beforeAll(async () => {
    t = await createTestApp();
    editor = (await t.ctx.keys.create(SYSTEM_ACTOR, { name: 'trainer', role: 'editor' })).key;
    url = await t.app.listen({ host: '127.0.0.1', port: 0 });
    dir = mkdtempSync(path.join(tmpdir(), 'crucible-py-'));
  });
  afterAll(async () => {
    await t?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const getRun = async (id: string) => (await t.app.inject({ url: `/api/v1/runs/${id}`, headers: bearer(editor) })).json<RunView>();
  const series = async (id: string, name: string) => {
    const points: Array<{ step: number; value: number }> = [];
    let cursor: string | null = null;
    do {
      const page: { items: Array<{ step: number; value: number }>; next_cursor: string | null } = (
        await t.app.inject({ url: `/api/v1/runs/${id}/metrics?name=${name}&limit=10000${cursor ? `&cursor=${cursor}` : ''}`, headers: bearer(editor) })
      ).json();
      points.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor);
    return points;
  };

  it('the single-file Python client (stdlib only) logs params, buffered metrics and status from a python3 process', async () => {
    const script = `
import json, os, sys
sys.path.insert(0, ${JSON.stringify(path.join(REPO_ROOT, 'clients/python'))})
from crucible_client import CrucibleClient, CrucibleError

client = CrucibleClient(${JSON.stringify(url)}, ${JSON.stringify(editor)})
out = {}
with client.create_run("py-train", params={"lr": 3e-4, "batch_size": 32, "amp": True}, tags={"host": "gpu-1"}) as run:
    out["run"] = run.id
    for step in range(2500):
        run.log_metric("loss", 10.0 / (step + 1), step)
        if step % 100 == 0:
            run.log_metrics({"acc": step / 2500.0}, step)
    out["pending_before_flush"] = run.pending
    checkpoint = os.path.join(sys.argv[1], "model.pt")
    with open(checkpoint, "wb") as f:
        f.write(b"\\x00\\x01weights" * 1000)
    run.log_artifact(checkpoint, name="checkpoints/model.pt")
    run.log_params({"epochs": 3})
    try:
        run.log_param("lr", 0.1)
    except CrucibleError as err:
        out["conflict"] = [err.status, err.code]

try:
    with client.create_run("py-crash") as crashed:
        out["crashed"] = crashed.id
        crashed.log_metric("loss", 1.5, 0)
        raise RuntimeError("CUDA out of memory")
except RuntimeError:
    pass

try:
    client.get_run("run_missing")
except CrucibleError as err:
    out["missing"] = err.code
print(json.dumps(out))
`;
    const result = await runPython(script, [dir], {});
    expect(result.code, result.stderr).toBe(0);
    const out = JSON.parse(result.stdout.trim()) as { run: string; crashed: string; conflict: [number, string]; missing: string; pending_before_flush: number };
    expect(out.conflict).toEqual([409, 'param_conflict']);
    expect(out.missing).toBe('run_not_found');
    // 2,525 points in batches of ≤ 1,000: two full batches went on their own, the rest at the end.
    expect(out.pending_before_flush).toBe(525);

    const run = await getRun(out.run);
    expect(run).toMatchObject({
      name: 'py-train',
      status: 'finished',
      created_by: 'trainer',
      params: { lr: '0.0003', batch_size: '32', amp: 'true', epochs: '3' },
      tags: { host: 'gpu-1' },
      metrics: { loss: { step: 2499, value: 10 / 2500 }, acc: { step: 2400, value: 2400 / 2500 } },
    });
    expect(run.end_time).not.toBeNull();
    expect(run.artifacts).toEqual([expect.objectContaining({ name: 'checkpoints/model.pt', size: 9000 })]);
    const artifact = await t.app.inject({ url: `/api/v1/runs/${out.run}/artifacts/checkpoints/model.pt`, headers: bearer(editor) });
    expect(artifact.rawPayload.subarray(0, 9)).toEqual(Buffer.from('\x00\x01weights', 'latin1'));
    const loss = await series(out.run, 'loss');
    expect(loss).toHaveLength(2500);
    expect(loss.map((p) => p.step)).toEqual(Array.from({ length: 2500 }, (_, i) => i));
    expect(loss[9]!.value).toBeCloseTo(1.0, 12);
    expect(await series(out.run, 'acc')).toHaveLength(25);

    expect(await getRun(out.crashed)).toMatchObject({ status: 'failed', metrics: { loss: { step: 0, value: 1.5 } } });
  });

  it('the TypeScript client buffers metrics, splits batches, surfaces param conflicts and finishes', async () => {
    const client = new CrucibleClient({ url, key: editor, flushIntervalMs: 0 });
    const run = await client.createRun({ name: 'ts-train', params: { lr: 0.01 }, tags: { framework: 'crucible' } });
    for (let step = 0; step < 1500; step++) run.logMetrics({ loss: 1 / (step + 1), lr: 0.01 }, step);
    await run.logParams({ warmup: 100 });
    await expect(run.logParams({ lr: 0.02 })).rejects.toMatchObject({ status: 409, code: 'param_conflict' });
    await expect(run.logParams({ lr: 0.02 })).rejects.toBeInstanceOf(CrucibleApiError);
    const withArtifact = await run.logArtifact('eval/report.json', new TextEncoder().encode('{"acc": 0.9}'));
    expect(withArtifact.artifacts).toEqual([expect.objectContaining({ name: 'eval/report.json', size: 12 })]);
    await expect(run.logArtifact('eval/report.json', new TextEncoder().encode('{}'))).rejects.toMatchObject({ code: 'artifact_conflict' });
    const finished = await run.finish();
    expect(run.pending).toBe(0);
    expect(finished).toMatchObject({ status: 'finished', params: { lr: '0.01', warmup: '100' }, metrics: { loss: { step: 1499 } } });
    expect(await series(run.id, 'loss')).toHaveLength(1500);
    expect(await series(run.id, 'lr')).toHaveLength(1500);

    // A flush that fails keeps its points and reports the error; the next flush sends them.
    const flaky = new CrucibleClient({ url, key: editor, flushIntervalMs: 0 });
    const retried = await flaky.createRun({ name: 'ts-retry' });
    const send = flaky.request.bind(flaky);
    let down = true;
    flaky.request = async <T>(method: string, route: string, body?: unknown): Promise<T> => {
      if (down) throw new Error('connection reset');
      return send<T>(method, route, body);
    };
    retried.logMetric('loss', 1, 0);
    await expect(retried.flush()).rejects.toThrow('connection reset');
    expect(retried.pending).toBe(1);
    down = false;
    await retried.finish();
    expect(await getRun(retried.id)).toMatchObject({ status: 'finished', metrics: { loss: { step: 0, value: 1 } } });
  });
});
