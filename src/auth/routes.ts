import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from './request-actor.js';
import type { AuditLog } from './audit-log.js';
import type { KeyService } from './key-service.js';
import { ApiKeySchema, AuditEntrySchema, CreatedKeySchema, CreateKeyInputSchema, RoleSchema } from './schema.js';
import { ErrorBodySchema as ErrorBody, PageQuerySchema as ListQuery } from '../platform/http-schemas.js';

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };

/** /api/v1/keys, /api/v1/me and /api/v1/audit. */
export function registerAuthRoutes(app: FastifyInstance, services: { keys: KeyService; audit: AuditLog }): void {
  const typed = app.withTypeProvider<ZodTypeProvider>();
  const security = [{ bearerAuth: [] }];

  typed.get(
    '/api/v1/me',
    {
      schema: {
        tags: ['auth'],
        summary: 'The caller: key id, name and role',
        security,
        response: { 200: z.object({ id: z.string(), name: z.string(), role: RoleSchema }), ...errors },
      },
    },
    async (request) => actorOf(request),
  );

  typed.get(
    '/api/v1/keys',
    {
      schema: {
        tags: ['auth'],
        summary: 'List API keys (admin)',
        security,
        querystring: ListQuery,
        response: { 200: z.object({ items: z.array(ApiKeySchema), next_cursor: z.string().nullable() }), ...errors },
      },
    },
    async (request) => services.keys.list(actorOf(request), request.query),
  );

  typed.post(
    '/api/v1/keys',
    {
      config: { audit: 'keys.create' },
      schema: {
        tags: ['auth'],
        summary: 'Create an API key (admin); the key is returned once',
        security,
        body: CreateKeyInputSchema,
        response: { 201: CreatedKeySchema, ...errors },
      },
    },
    async (request, reply) => reply.status(201).send(await services.keys.create(actorOf(request), request.body)),
  );

  typed.delete(
    '/api/v1/keys/:id',
    {
      config: { audit: 'keys.revoke' },
      schema: {
        tags: ['auth'],
        summary: 'Revoke an API key (admin)',
        security,
        params: z.object({ id: z.string() }),
        response: { 200: ApiKeySchema, ...errors },
      },
    },
    async (request) => services.keys.revoke(actorOf(request), request.params.id),
  );

  typed.get(
    '/api/v1/audit',
    {
      schema: {
        tags: ['auth'],
        summary: 'The audit log, newest first (admin)',
        security,
        querystring: ListQuery.extend({ action: z.string().optional() }),
        response: { 200: z.object({ items: z.array(AuditEntrySchema), next_cursor: z.string().nullable() }), ...errors },
      },
    },
    async (request) => services.audit.list(actorOf(request), request.query),
  );
}
