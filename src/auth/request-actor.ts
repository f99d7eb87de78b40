import type { FastifyRequest } from 'fastify';
import { UnauthenticatedError } from '../platform/errors.js';
import type { Actor } from './actor.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the API's authentication hook for every authenticated request; null on public routes. */
    actor: Actor | null;
  }
}

/** The caller of an authenticated route, for domain routes to hand to their services. */
export function actorOf(request: FastifyRequest): Actor {
  if (!request.actor) throw new UnauthenticatedError();
  return request.actor;
}
