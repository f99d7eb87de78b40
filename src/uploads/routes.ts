import type { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../auth/index.js';
import type { UploadService } from './service.js';
import { ErrorBodySchema as ErrorBody } from '../platform/http-schemas.js';


/** POST /api/v1/uploads: the raw body (application/octet-stream) streamed into the blob store. */
export function registerUploadRoutes(app: FastifyInstance, uploads: UploadService): void {
  app.withTypeProvider<ZodTypeProvider>().post(
    '/api/v1/uploads',
    {
      config: { audit: 'uploads.create' },
      schema: {
        tags: ['uploads'],
        summary: 'Stream a file into the content-addressed store (editor); returns its sha256 and size',
        description: 'Send the bytes as the body with Content-Type: application/octet-stream. Optional header x-content-sha256 makes the server verify the bytes.',
        security: [{ bearerAuth: [] }],
        headers: z.object({ 'x-content-sha256': z.string().optional(), 'content-length': z.coerce.number().int().nonnegative().optional() }).passthrough(),
        response: { 201: z.object({ sha256: z.string(), size: z.number() }), 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 413: ErrorBody },
      },
    },
    async (request, reply) => {
      // A client that disconnects mid-upload errors the request stream; the blob store then discards
      // the partial write, so nothing half-uploaded ever becomes visible.
      const ref = await uploads.upload(actorOf(request), request.body as Readable, {
        declaredBytes: request.headers['content-length'],
        expectedSha256: request.headers['x-content-sha256'],
      });
      return reply.status(201).send(ref);
    },
  );
}
