import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { KeyService } from '../auth/index.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Routes under /api/v1 need a key unless they say `public: true`. */
    public?: boolean;
    /** Name written to the audit log for state-changing calls, e.g. `keys.create`. */
    audit?: string;
  }
}

const PROTECTED_PREFIXES = ['/api/v1/', '/v1/'];

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1] : '';
}

/**
 * Authenticates before the body is read (so a 401 costs no upload). Roles are not checked here: the
 * services check them, so the CLI, the worker and the API all get the same rules.
 */
export function registerAuthentication(app: FastifyInstance, keys: KeyService): void {
  app.decorateRequest('actor', null);
  // A callback hook, not an async one: a key seen in the last seconds is answered from the cache with
  // no promise and no extra event-loop turn (measured in bench:api).
  app.addHook('onRequest', (request, _reply, done) => {
    if (request.routeOptions.config?.public) return done();
    const path = request.url;
    if (!PROTECTED_PREFIXES.some((prefix) => path.startsWith(prefix))) return done();
    const token = bearerToken(request);
    const cached = keys.cachedActor(token);
    if (cached) {
      request.actor = cached;
      return done();
    }
    keys.authenticate(token).then((actor) => {
      request.actor = actor;
      done();
    }, done);
  });
}
