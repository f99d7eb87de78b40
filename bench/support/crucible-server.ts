// Child process for bench/api.bench.ts: a real Crucible server (default config, SQLite in a temp home)
// and a viewer key; prints {"url","key"} as one JSON line on stderr once listening (stdout carries the logs).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer } from '../../src/app/server.js';
import { SYSTEM_ACTOR } from '../../src/auth/index.js';
import { loadConfig } from '../../src/platform/config.js';
import { createLogger } from '../../src/platform/logger.js';

const home = mkdtempSync(path.join(tmpdir(), 'crucible-bench-'));
const config = loadConfig({ env: {}, cwd: home, overrides: { home, server: { port: 0 } } });
// Default config and logger: logs at info on stdout, as `crucible start` writes them.
const running = await startServer(config, { logger: createLogger(config) });
const viewer = await running.ctx.keys.create(SYSTEM_ACTOR, { name: 'bench', role: 'viewer' });
process.stderr.write(`${JSON.stringify({ url: running.url, key: viewer.key, home })}\n`);
process.once('SIGTERM', () => void running.stop().then(() => process.exit(0)));
