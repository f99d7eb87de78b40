import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../auth/index.js';
import { WorkerViewSchema, type WorkerRegistry } from './worker-registry.js';

/** GET /api/v1/workers: the fleet, with what each worker offers and runs. */
export function registerWorkerRoutes(app: FastifyInstance, registry: WorkerRegistry): void {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/api/v1/workers',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Workers: resources, running jobs, and whether they are active, lost or stopped',
        security: [{ bearerAuth: [] }],
        querystring: z.object({ include_stopped: z.enum(['true', 'false']).optional() }),
        response: { 200: z.object({ items: z.array(WorkerViewSchema), next_cursor: z.null() }) },
      },
    },
    async (request) => ({
      items: await registry.list(actorOf(request), { includeStopped: request.query.include_stopped === 'true' }),
      next_cursor: null,
    }),
  );
}
