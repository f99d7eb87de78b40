import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuditLog, AuditOutcome } from '../auth/index.js';

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function outcomeOf(status: number): AuditOutcome {
  if (status < 400) return 'success';
  return status === 401 || status === 403 ? 'denied' : 'failed';
}

/**
 * Every state-changing API call is written to the audit log — refused ones too — before the response
 * leaves (onSend), so a client that got an answer can rely on the record existing. The hook is attached
 * to state-changing routes only (onRoute), so reads pay nothing for it. Register before the routes.
 */
export function registerAuditTrail(app: FastifyInstance, audit: AuditLog): void {
  const auditHook = async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const route = request.routeOptions.url;
    const params = request.params as Record<string, string> | undefined;
    const target = params && Object.keys(params).length > 0 ? Object.values(params).join('/') : null;
    try {
      await audit.record({
        actor: request.actor,
        action: request.routeOptions.config?.audit ?? `${request.method} ${route ?? request.url.split('?')[0]}`,
        target,
        outcome: outcomeOf(reply.statusCode),
        status: reply.statusCode,
        requestId: request.id,
      });
    } catch (err) {
      // The audit write failing must be seen; it must not turn a done change into a reported failure.
      request.log.error({ err }, 'audit log write failed');
    }
    return payload;
  };
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (methods.every((method) => READ_METHODS.has(method))) return;
    if (!route.url.startsWith('/api/') && !route.url.startsWith('/v1/')) return;
    const existing = route.onSend ? (Array.isArray(route.onSend) ? route.onSend : [route.onSend]) : [];
    route.onSend = [...existing, auditHook];
  });
}
