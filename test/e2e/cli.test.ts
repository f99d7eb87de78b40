import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCliServer, stopCliServer, type StartedServer } from '../support/cli.js';

describe('crucible CLI against a running server', () => {
  let cwd: string;
  let server: StartedServer;
  let env: Record<string, string>;

  beforeAll(async () => {
    cwd = mkdtempSync(path.join(tmpdir(), 'crucible-cli-'));
    env = { CRUCIBLE_HOME: path.join(cwd, 'home') };
    server = await startCliServer({ cwd, env });
    env.CRUCIBLE_URL = server.url;
  });
  afterAll(async () => {
    if (server) await stopCliServer(server);
    rmSync(cwd, { recursive: true, force: true });
  });

  it('starts within 15 s, answers /healthz and prints the first admin key once', async () => {
    expect(server.msToListen).toBeLessThan(15_000);
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(200);
    expect(server.stderr()).toMatch(/created an admin API key[\s\S]*crk_/);
  });

  let editorKey = '';
  let editorId = '';
  it('creates a key with --json: only JSON on stdout, exit 0', () => {
    const result = runCli(['keys', 'create', '--name', 'ci', '--role', 'editor', '--json'], { cwd, env });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const created = JSON.parse(result.stdout);
    expect(created).toMatchObject({ name: 'ci', role: 'editor' });
    expect(created.key).toMatch(/^crk_/);
    editorKey = created.key;
    editorId = created.id;
  });

  it('lists keys as a table and as JSON', () => {
    const human = runCli(['keys', 'list'], { cwd, env });
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/ID\s+NAME\s+ROLE/);
    expect(human.stdout).toContain('ci');
    const json = JSON.parse(runCli(['keys', 'list', '--json'], { cwd, env }).stdout);
    expect(json.items.map((k: { name: string }) => k.name)).toEqual(['admin', 'ci']);
  });

  it('exits 1 when the server refuses (wrong role), with the reason on stderr', () => {
    const result = runCli(['--key', editorKey, 'keys', 'create', '--name', 'x', '--role', 'admin'], { cwd, env });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/admin role/);
  });

  it('exits 2 on usage errors', () => {
    expect(runCli(['keys', 'create', '--name', 'x'], { cwd, env }).code).toBe(2);
    expect(runCli(['frobnicate'], { cwd, env }).code).toBe(2);
  });

  it('exits 3 when no server answers, saying to run crucible start', () => {
    const result = runCli(['keys', 'list'], { cwd, env: { ...env, CRUCIBLE_URL: 'http://127.0.0.1:9' } });
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/crucible start/);
  });

  it('revokes a key; the revoked key is then refused', () => {
    expect(runCli(['keys', 'revoke', editorId], { cwd, env }).code).toBe(0);
    const result = runCli(['--key', editorKey, 'keys', 'list'], { cwd, env });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/Invalid or revoked API key/);
  });

  it('prints the effective configuration with secrets redacted', () => {
    const result = runCli(['config', '--json'], {
      cwd,
      env: { ...env, CRUCIBLE_DATABASE_URL: 'postgres://u:hunter2@db/x', CRUCIBLE_PORT: '9999' },
    });
    expect(result.code).toBe(0);
    const config = JSON.parse(result.stdout);
    expect(config.server.port).toBe(9999);
    expect(config.home).toBe(env.CRUCIBLE_HOME);
    expect(result.stdout).not.toContain('hunter2');
  });

  it('has help with examples for every command', () => {
    for (const args of [[], ['start'], ['config'], ['keys'], ['keys', 'create'], ['keys', 'list'], ['keys', 'revoke']]) {
      const result = runCli([...args, '--help'], { cwd, env });
      expect(result.code, args.join(' ')).toBe(0);
      expect(result.stdout, args.join(' ')).toContain('Examples:');
    }
  });

  it('shuts down gracefully on SIGTERM and does not print a new key on the next start', async () => {
    expect(await stopCliServer(server)).toBe(0);
    const again = await startCliServer({ cwd, env });
    try {
      expect(again.stderr()).not.toMatch(/created an admin API key/);
      const list = runCli(['keys', 'list', '--json'], { cwd, env: { ...env, CRUCIBLE_URL: again.url } });
      expect(list.code).toBe(0);
    } finally {
      expect(await stopCliServer(again)).toBe(0);
    }
  });
});
