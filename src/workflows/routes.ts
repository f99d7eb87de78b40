import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../auth/index.js';
import { WORKFLOW_STATES, WorkflowBodySchema, WorkflowFindingSchema, WorkflowSummarySchema, WorkflowViewSchema } from './schema.js';
import type { WorkflowService } from './service.js';
import { ErrorBodySchema as ErrorBody } from '../platform/http-schemas.js';

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody, 503: ErrorBody };
const IdParams = z.object({ id: z.string().min(1).max(100) });
const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml'];

/**
 * /api/v1/workflows: run a workflow file (YAML with Content-Type application/yaml, or JSON: the
 * workflow itself or `{"yaml": "<file text>"}`), validate one, list, get (the graph with each
 * step's state and job), cancel, retry failed steps.
 */
export function registerWorkflowRoutes(app: FastifyInstance, workflows: WorkflowService): void {
  const typed = app.withTypeProvider<ZodTypeProvider>();
  const security = [{ bearerAuth: [] }];
  app.addContentTypeParser(YAML_TYPES, { parseAs: 'string' }, (_request, body, done) => done(null, body));

  typed.post(
    '/api/v1/workflows',
    {
      config: { audit: 'workflows.run' },
      schema: {
        tags: ['workflows'],
        summary: 'Run a workflow: validated first (400 workflow_invalid lists every finding), then its steps become jobs (editor)',
        security,
        body: WorkflowBodySchema,
        response: { 201: WorkflowViewSchema, ...errors },
      },
    },
    async (request, reply) => reply.status(201).send(await workflows.create(actorOf(request), request.body)),
  );

  typed.post(
    '/api/v1/workflows/validate',
    {
      schema: {
        tags: ['workflows'],
        summary: 'Check a workflow file without running it: every finding with its path and line:column',
        security,
        body: WorkflowBodySchema,
        response: { 200: z.object({ valid: z.boolean(), findings: z.array(WorkflowFindingSchema) }), ...errors },
      },
    },
    async (request) => workflows.validate(actorOf(request), request.body),
  );

  typed.get(
    '/api/v1/workflows',
    {
      schema: {
        tags: ['workflows'],
        summary: 'List workflow runs, newest first',
        security,
        querystring: z.object({
          state: z.enum(WORKFLOW_STATES).optional(),
          limit: z.coerce.number().int().min(1).max(500).default(50),
          cursor: z.string().max(100).optional(),
        }),
        response: { 200: z.object({ items: z.array(WorkflowSummarySchema), next_cursor: z.string().nullable() }), ...errors },
      },
    },
    async (request) => {
      const { state, limit, cursor } = request.query;
      return workflows.list(actorOf(request), { limit, ...(state ? { state } : {}), ...(cursor ? { cursor } : {}) });
    },
  );

  typed.get(
    '/api/v1/workflows/:id',
    {
      schema: { tags: ['workflows'], summary: 'A workflow run: its state and each step (state, job, outputs, reason)', security, params: IdParams, response: { 200: WorkflowViewSchema, ...errors } },
    },
    async (request) => workflows.get(actorOf(request), request.params.id),
  );

  typed.post(
    '/api/v1/workflows/:id/cancel',
    {
      config: { audit: 'workflows.cancel' },
      schema: { tags: ['workflows'], summary: 'Cancel a workflow run and its queued and running steps (editor)', security, params: IdParams, response: { 200: WorkflowViewSchema, ...errors } },
    },
    async (request) => workflows.cancel(actorOf(request), request.params.id),
  );

  typed.post(
    '/api/v1/workflows/:id/retry',
    {
      config: { audit: 'workflows.retry' },
      schema: {
        tags: ['workflows'],
        summary: 'Run the failed and cancelled steps of a failed or cancelled workflow again, keeping the succeeded ones (editor)',
        security,
        params: IdParams,
        response: { 200: WorkflowViewSchema, ...errors },
      },
    },
    async (request) => workflows.retry(actorOf(request), request.params.id),
  );
}
