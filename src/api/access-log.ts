import type { FastifyInstance } from 'fastify';

/**
 * One access line per request, written when it completes (Fastify's default is two: received and
 * completed). The request's child logger adds its `reqId`, as on every other line of the request.
 */
export function registerAccessLog(app: FastifyInstance): void {
  app.addHook('onResponse', (request, reply, done) => {
    request.log.info(
      { method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10, actor: request.actor?.id },
      'request',
    );
    done();
  });
}
