import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../api/app.js';
import { ADMIN_KEY_FILE, bootstrapAdminKey } from '../auth/index.js';
import type { Config } from '../platform/config.js';
import type { Logger } from '../platform/logger.js';
import { withRunTracking } from '../tracking/index.js';
import { startWorkerPool, type Worker } from '../worker/index.js';
import { WorkflowScheduler } from '../workflows/index.js';
import { createAppContext, type AppContext } from './context.js';

export interface RunningServer {
  ctx: AppContext;
  app: FastifyInstance;
  url: string;
  /** Set on the first start of an empty installation: print it once. */
  initialAdminKey: string | null;
  adminKeyFile: string;
  /** The in-process worker pool (`worker.concurrency` jobs at once); null when that is 0. */
  workers: Worker | null;
  /** Graceful: stop accepting, let in-flight requests finish (bounded by shutdownGraceMs), close db and blobs. */
  stop(): Promise<void>;
}

/** Opens the context, bootstraps the first admin key, builds the API and listens. */
export async function startServer(config: Config, options: { logger?: Logger } = {}): Promise<RunningServer> {
  const ctx = await createAppContext(config, options);
  let app: FastifyInstance | undefined;
  try {
    const initialAdminKey = await bootstrapAdminKey(ctx.keys, config.home);
    app = await buildApi(ctx);
    const address = await app.listen({ host: config.server.host, port: config.server.port });
    const url = address.replace('[::1]', 'localhost');
    const workers = await startWorkerPool({ config, logger: ctx.logger, queue: ctx.queue, events: withRunTracking(ctx.events, ctx.tracking), registry: ctx.workers });
    // Picks up the workflows that were running when the server last stopped, then drives them on.
    const workflowScheduler = new WorkflowScheduler(ctx.workflows, ctx.jobs, { logger: ctx.logger }).start();
    let stopping: Promise<void> | undefined;
    const running: RunningServer = {
      ctx,
      app,
      url,
      initialAdminKey,
      adminKeyFile: path.join(config.home, ADMIN_KEY_FILE),
      workers,
      stop() {
        // Workers first (no new jobs; running ones checkpoint within worker.shutdownGraceMs) while the
        // API still answers; then requests drain and the db closes.
        stopping ??= workflowScheduler
          .stop()
          .then(() => (workers ? workers.stop(config.worker.shutdownGraceMs) : undefined))
          .then(() => closeGracefully(app!, ctx, config.server.shutdownGraceMs));
        return stopping;
      },
    };
    return running;
  } catch (err) {
    await app?.close().catch(() => undefined);
    await ctx.close().catch(() => undefined);
    throw err;
  }
}

async function closeGracefully(app: FastifyInstance, ctx: AppContext, graceMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const drained = app.close();
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      ctx.logger.warn({ graceMs }, 'requests still running after the grace period; closing their connections');
      app.server.closeAllConnections();
      resolve();
    }, graceMs);
    timer.unref();
  });
  await Promise.race([drained, deadline]);
  clearTimeout(timer);
  await ctx.close();
}
