/** /api/v1/runs: HTTP ⇄ TrackingService (INTERFACES.md). Viewers read; editors create and log. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../auth/index.js';
import { ValidationError } from '../platform/errors.js';
import {
  CreateRunInputSchema,
  LOG_BATCH_LIMITS,
  LogArtifactInputSchema,
  LogBatchInputSchema,
  LogBatchResultSchema,
  MAX_COMPARE_RUNS,
  MetricPointSchema,
  RUN_STATUSES,
  RunComparisonSchema,
  RunViewSchema,
  UpdateRunInputSchema,
  type RunStatus,
} from './schema.js';
import type { TrackingService } from './service.js';
import { ErrorBodySchema as ErrorBody } from '../platform/http-schemas.js';

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };
const IdParams = z.object({ id: z.string().min(1).max(100) });

const ListQuery = z.object({
  /** Only runs produced by this job. */
  job: z.string().min(1).max(100).optional(),
  /** `key` (has the tag) or `key=value`. */
  tag: z.string().min(1).max(6000).optional(),
  /** One status or several, comma-separated. */
  status: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(50),
  cursor: z.string().optional(),
});

function statusesOf(value: string | undefined): RunStatus[] | undefined {
  if (!value) return undefined;
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = items.find((s) => !(RUN_STATUSES as readonly string[]).includes(s));
  if (unknown !== undefined) throw new ValidationError('run_filter_invalid', `Unknown run status "${unknown}": use one of ${RUN_STATUSES.join(', ')}.`, { status: unknown });
  return items as RunStatus[];
}

export function registerTrackingRoutes(app: FastifyInstance, tracking: TrackingService): void {
  const typed = app.withTypeProvider<ZodTypeProvider>();
  const security = [{ bearerAuth: [] }];
  const tags = ['runs'];

  typed.post(
    '/api/v1/runs',
    {
      config: { audit: 'runs.create' },
      schema: {
        tags,
        summary: 'Create a run (editor)',
        description: 'A run starts `running`. `params` are set once; `tags` can be overwritten; `job_id` is null for runs logged from outside Crucible.',
        security,
        body: CreateRunInputSchema,
        response: { 201: RunViewSchema, ...errors },
      },
    },
    async (request, reply) => reply.status(201).send(await tracking.create(actorOf(request), request.body)),
  );

  typed.get(
    '/api/v1/runs',
    {
      schema: {
        tags,
        summary: 'List runs, newest first; filter by job, tag (key or key=value) and status',
        security,
        querystring: ListQuery,
        response: { 200: z.object({ items: z.array(RunViewSchema), next_cursor: z.string().nullable() }), ...errors },
      },
    },
    async (request) => {
      const { job, tag, status, limit, cursor } = request.query;
      const statuses = statusesOf(status);
      return tracking.list(actorOf(request), {
        limit,
        ...(job ? { jobId: job } : {}),
        ...(tag ? { tag } : {}),
        ...(statuses ? { status: statuses } : {}),
        ...(cursor ? { cursor } : {}),
      });
    },
  );

  typed.get(
    '/api/v1/runs/compare',
    {
      schema: {
        tags,
        summary: 'Compare runs: metrics aligned by step, params diffed',
        description:
          `\`ids\`: 1 to ${MAX_COMPARE_RUNS} run ids, comma-separated; \`names\`: only these metrics. For each metric, \`steps\` is the union of the runs' steps and ` +
          '`values[run_id][i]` the value at `steps[i]` (null where that run logged none). `params.differing` lists keys whose values differ or that some runs lack.',
        security,
        querystring: z.object({ ids: z.string().min(1, 'give run ids, comma-separated'), names: z.string().optional() }),
        response: { 200: RunComparisonSchema, ...errors },
      },
    },
    async (request) => {
      const names = request.query.names?.split(',').map((n) => n.trim()).filter(Boolean);
      return tracking.compare(actorOf(request), request.query.ids.split(','), names && names.length > 0 ? { names } : {});
    },
  );

  typed.get(
    '/api/v1/runs/:id',
    { schema: { tags, summary: 'A run: params, tags, latest metrics, artifacts', security, params: IdParams, response: { 200: RunViewSchema, ...errors } } },
    async (request) => tracking.get(actorOf(request), request.params.id),
  );

  typed.patch(
    '/api/v1/runs/:id',
    {
      config: { audit: 'runs.update' },
      schema: {
        tags,
        summary: 'Set a run’s status (running, finished, failed, killed), end time or name (editor)',
        description: 'A terminal status sets `end_time` (now unless given); `running` clears it.',
        security,
        params: IdParams,
        body: UpdateRunInputSchema,
        response: { 200: RunViewSchema, ...errors },
      },
    },
    async (request) => tracking.update(actorOf(request), request.params.id, request.body),
  );

  typed.post(
    '/api/v1/runs/:id/log-batch',
    {
      config: { audit: 'runs.log_batch' },
      schema: {
        tags,
        summary: 'Log params, tags and metric points in one atomic call (editor)',
        description:
          `At most ${LOG_BATCH_LIMITS.metrics} metrics, ${LOG_BATCH_LIMITS.params} params and ${LOG_BATCH_LIMITS.tags} tags per call (400 \`log_batch_too_large\`). ` +
          'All or nothing: a param already set to another value (409 `param_conflict`) or any invalid item stores nothing. Metrics append; ' +
          '`step` defaults to 0 and `timestamp` to the time the server receives the batch.',
        security,
        params: IdParams,
        body: LogBatchInputSchema,
        response: { 200: LogBatchResultSchema, ...errors },
      },
    },
    async (request) => tracking.logBatch(actorOf(request), request.params.id, request.body),
  );

  typed.get(
    '/api/v1/runs/:id/metrics',
    {
      schema: {
        tags,
        summary: 'A run’s metric points, by name then step (one metric with ?name=)',
        security,
        params: IdParams,
        querystring: z.object({ name: z.string().min(1).optional(), limit: z.coerce.number().int().min(1).max(10_000).default(1000), cursor: z.string().optional() }),
        response: { 200: z.object({ items: z.array(MetricPointSchema), next_cursor: z.string().nullable() }), ...errors },
      },
    },
    async (request) => {
      const { name, limit, cursor } = request.query;
      return tracking.metrics(actorOf(request), request.params.id, { limit, ...(name ? { name } : {}), ...(cursor ? { cursor } : {}) });
    },
  );

  typed.post(
    '/api/v1/runs/:id/artifacts',
    {
      config: { audit: 'runs.log_artifact' },
      schema: {
        tags,
        summary: 'Name an uploaded blob as an artifact of the run (editor)',
        description: 'Upload the bytes with POST /api/v1/uploads first, then send {"name", "sha256"}. A name is never reused for other bytes (409 `artifact_conflict`).',
        security,
        params: IdParams,
        body: LogArtifactInputSchema,
        response: { 200: RunViewSchema, ...errors },
      },
    },
    async (request) => tracking.logArtifact(actorOf(request), request.params.id, request.body),
  );

  typed.get(
    '/api/v1/runs/:id/artifacts/*',
    { schema: { tags, summary: 'Download an artifact', security, params: IdParams.extend({ '*': z.string().min(1) }) } },
    async (request, reply) => {
      const { artifact, stream } = await tracking.artifact(actorOf(request), request.params.id, request.params['*']);
      const filename = artifact.name.split('/').pop()!.replace(/["\\]/g, '_');
      return reply.header('content-type', 'application/octet-stream').header('content-length', artifact.size).header('content-disposition', `attachment; filename="${filename}"`).send(stream);
    },
  );
}
