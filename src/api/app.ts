import cors from '@fastify/cors';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { validatorCompiler } from 'fastify-type-provider-zod';
import type { AppContext } from '../app/context.js';
import { registerAuthRoutes } from '../auth/index.js';
import { registerDatasetRoutes } from '../datasets/index.js';
import { registerJobRoutes, registerWorkerRoutes } from '../jobs/index.js';
import { registerTrackingRoutes } from '../tracking/index.js';
import { newId } from '../platform/ids.js';
import { registerUploadRoutes, UploadService } from '../uploads/index.js';
import { registerWorkflowRoutes } from '../workflows/index.js';
import { registerAccessLog } from './access-log.js';
import { registerAuditTrail } from './audit-hook.js';
import { registerAuthentication } from './authenticate.js';
import { registerDrainBehaviour } from './drain.js';
import { registerErrorHandling } from './error-handler.js';
import { registerHealthRoutes } from './health.js';
import { registerHomePage } from './home-page.js';
import { registerMetrics } from './metrics.js';
import { registerOpenApi } from './openapi.js';
import { serializerCompiler } from './serializer.js';

/** Builds the HTTP app over a context. Listening, and closing the context, are the caller's. */
export async function buildApi(ctx: AppContext): Promise<FastifyInstance> {
  const { server } = ctx.config;
  const app = Fastify({
    loggerInstance: ctx.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: server.bodyLimitBytes,
    genReqId: (request) => {
      // Honour a caller's request id (proxies set one) when it is sane; else make a sortable one.
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : newId('req');
    },
    // On close, idle keep-alive sockets go at once; in-flight requests finish (graceful drain).
    forceCloseConnections: 'idle',
    return503OnClosing: true,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });

  // Binary bodies are not buffered: routes receive the request stream and pipe it where it goes.
  app.addContentTypeParser('application/octet-stream', (_request, payload, done) => done(null, payload));
  registerErrorHandling(app, server.bodyLimitBytes);
  registerDrainBehaviour(app);
  if (server.corsOrigins.length > 0) await app.register(cors, { origin: server.corsOrigins });
  await registerOpenApi(app);
  registerMetrics(app);
  registerAccessLog(app);
  registerAuthentication(app, ctx.keys);
  registerAuditTrail(app, ctx.audit);

  registerHealthRoutes(app, ctx.readiness);
  registerHomePage(app, ctx.readiness);
  registerAuthRoutes(app, { keys: ctx.keys, audit: ctx.audit });
  registerUploadRoutes(app, new UploadService(ctx.blobs, server.uploadLimitBytes));
  registerJobRoutes(app, ctx.jobs);
  registerWorkerRoutes(app, ctx.workers);
  registerDatasetRoutes(app, ctx.datasets);
  registerWorkflowRoutes(app, ctx.workflows);
  registerTrackingRoutes(app, ctx.tracking);
  await app.ready();
  return app;
}
