import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../src/api/app.js';
import { createAppContext, type AppContext } from '../../src/app/context.js';
import { bootstrapAdminKey } from '../../src/auth/index.js';
import { loadConfig, type Config } from '../../src/platform/config.js';
import { createLogger } from '../../src/platform/logger.js';
import { createTestPostgres } from './postgres.js';

export interface TestApp {
  app: FastifyInstance;
  ctx: AppContext;
  config: Config;
  adminKey: string;
  /** Log lines written while the app ran (JSON objects). */
  logs: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

/**
 * A real app on a real database in its own temp home: SQLite by default, or a fresh PostgreSQL
 * database when `dialect: 'postgres'`. Logs are captured instead of printed.
 */
export async function createTestApp(options: { dialect?: 'sqlite' | 'postgres'; config?: Record<string, unknown> } = {}): Promise<TestApp> {
  const home = mkdtempSync(path.join(tmpdir(), 'crucible-test-'));
  const pg = options.dialect === 'postgres' ? await createTestPostgres() : undefined;
  const config = loadConfig({
    env: {},
    cwd: home,
    overrides: { home, log: { level: 'info' }, ...(pg ? { database: { url: pg.url } } : {}), ...options.config },
  });
  const logs: Array<Record<string, unknown>> = [];
  const sink = { write: (line: string) => logs.push(JSON.parse(line) as Record<string, unknown>) } as unknown as NodeJS.WritableStream;
  const ctx = await createAppContext(config, { logger: createLogger(config, sink) });
  const adminKey = await bootstrapAdminKey(ctx.keys, home);
  if (!adminKey) throw new Error('a fresh test app must bootstrap an admin key');
  const app = await buildApi(ctx);
  return {
    app,
    ctx,
    config,
    adminKey,
    logs,
    async close() {
      await app.close();
      await ctx.close();
      await pg?.drop();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

export function bearer(key: string): { authorization: string } {
  return { authorization: `Bearer ${key}` };
}
