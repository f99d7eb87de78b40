import type { FastifyInstance } from 'fastify';

/**
 * While the server drains (after close() began), responses to in-flight requests say
 * `Connection: close`: a keep-alive socket that turns idle after the drain started would otherwise
 * hold the shutdown open until its keep-alive timeout.
 */
export function registerDrainBehaviour(app: FastifyInstance): void {
  let draining = false;
  app.addHook('preClose', async () => {
    draining = true;
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (draining) reply.header('connection', 'close');
    done(null, payload);
  });
}
