import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig, redactConfig } from './config.js';
import { ValidationError } from './errors.js';

const dirs: string[] = [];
function tmp(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'crucible-config-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('loadConfig', () => {
  it('has working defaults with no file and no environment', () => {
    const cwd = tmp();
    const config = loadConfig({ env: {}, cwd });
    expect(config.server.port).toBe(7860);
    expect(config.server.host).toBe('127.0.0.1');
    expect(config.home).toBe(path.join(cwd, '.crucible'));
    expect(config.blobs.driver).toBe('fs');
    expect(config.database.url).toBeUndefined();
  });

  it('layers defaults < crucible.yaml < environment < overrides', () => {
    const cwd = tmp();
    writeFileSync(path.join(cwd, 'crucible.yaml'), 'server:\n  port: 9000\n  host: 0.0.0.0\nlog:\n  level: debug\n');
    const fromFile = loadConfig({ env: {}, cwd });
    expect(fromFile.server.port).toBe(9000);
    expect(fromFile.log.level).toBe('debug');
    const fromEnv = loadConfig({ env: { CRUCIBLE_PORT: '9100' }, cwd });
    expect(fromEnv.server.port).toBe(9100);
    expect(fromEnv.server.host).toBe('0.0.0.0');
    const fromOverride = loadConfig({ env: { CRUCIBLE_PORT: '9100' }, cwd, overrides: { server: { port: 9200 } } });
    expect(fromOverride.server.port).toBe(9200);
  });

  it('names the bad path in the error and changes nothing', () => {
    const cwd = tmp();
    writeFileSync(path.join(cwd, 'crucible.yaml'), 'server:\n  port: not-a-number\n');
    let caught: unknown;
    try {
      loadConfig({ env: {}, cwd });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    expect((caught as ValidationError).code).toBe('config_invalid');
    expect((caught as ValidationError).message).toContain('server.port');
  });

  it('rejects YAML that is not a mapping, and a CRUCIBLE_CONFIG that does not exist', () => {
    const cwd = tmp();
    writeFileSync(path.join(cwd, 'crucible.yaml'), '- a\n- b\n');
    expect(() => loadConfig({ env: {}, cwd })).toThrow(/mapping/);
    expect(() => loadConfig({ env: { CRUCIBLE_CONFIG: 'nope.yaml' }, cwd })).toThrow(/does not exist/);
  });

  it('redacts secrets when printed', () => {
    const config = loadConfig({
      env: { CRUCIBLE_DATABASE_URL: 'postgres://crucible:hunter2@db:5432/crucible', CRUCIBLE_S3_SECRET_ACCESS_KEY: 'abc' },
      cwd: tmp(),
    });
    const printed = JSON.stringify(redactConfig(config));
    expect(printed).not.toContain('hunter2');
    expect(printed).not.toContain('"abc"');
    expect(printed).toContain('postgres://crucible:[redacted]@db:5432/crucible');
    expect(config.database.url).toContain('hunter2'); // the original is untouched
  });
});
