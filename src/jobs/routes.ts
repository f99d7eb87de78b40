import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../auth/index.js';
import { ValidationError } from '../platform/errors.js';
import { JOB_EVENT_KINDS, type JobEventKind } from '../platform/events/index.js';
import { JOB_STATES, type JobState } from '../platform/queue/index.js';
import { lastEventIdOf, sendEventStream, wantsEventStream, type SseEvent } from './event-stream.js';
import { JobEventViewSchema, jobEventView, JobViewSchema, jobView, SubmitJobBodySchema, submitInputOf } from './schema.js';
import type { JobService } from './service.js';
import { ErrorBodySchema as ErrorBody } from '../platform/http-schemas.js';

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody, 503: ErrorBody };
const IdParams = z.object({ id: z.string().min(1).max(100) });

const ListQuery = z.object({
  /** One state or several, comma-separated: `?state=queued,running`. */
  state: z.string().optional(),
  type: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().optional(),
});

const EventsQuery = z.object({
  /** Events with seq > after (for clients that cannot send Last-Event-ID). */
  after: z.coerce.number().int().min(0).optional(),
  /** The `next_cursor` of the previous page (same meaning as `after`). */
  cursor: z.string().regex(/^\d+$/, 'a cursor is the next_cursor of the previous page').optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  /** Only these kinds, comma-separated: `?kinds=log,state`. */
  kinds: z.string().optional(),
});

function listOf<T extends string>(value: string | undefined, allowed: readonly T[], what: 'state' | 'kind', code: string): T[] | undefined {
  if (!value) return undefined;
  const items = value.split(',').map((item) => item.trim()).filter(Boolean);
  const unknown = items.find((item) => !(allowed as readonly string[]).includes(item));
  if (unknown !== undefined) throw new ValidationError(code, `Unknown job ${what === 'state' ? 'state' : 'event kind'} "${unknown}": use one of ${allowed.join(', ')}.`, { [what]: unknown });
  return items as T[];
}

function sseOf(event: Parameters<typeof jobEventView>[0]): SseEvent {
  return { id: String(event.seq), event: event.kind, data: jobEventView(event) };
}

export interface JobRoutesOptions {
  /** A comment line this often keeps idle event streams open through proxies. */
  heartbeatMs?: number;
}

/** /api/v1/jobs: submit, list, get, cancel, retry, and each job's events (JSON history or SSE). */
export function registerJobRoutes(app: FastifyInstance, jobs: JobService, options: JobRoutesOptions = {}): void {
  const typed = app.withTypeProvider<ZodTypeProvider>();
  const security = [{ bearerAuth: [] }];
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  // Open event streams end when the server closes, so that a graceful shutdown does not wait for them.
  const streams = new Set<AbortController>();
  app.addHook('preClose', async () => {
    for (const stream of streams) stream.abort();
  });

  typed.post(
    '/api/v1/jobs',
    {
      config: { audit: 'jobs.submit' },
      schema: {
        tags: ['jobs'],
        summary: 'Submit a job (editor; some types, such as command, need admin)',
        security,
        body: SubmitJobBodySchema,
        response: { 201: JobViewSchema, ...errors },
      },
    },
    async (request, reply) => reply.status(201).send(jobView(await jobs.submit(actorOf(request), submitInputOf(request.body)))),
  );

  typed.get(
    '/api/v1/jobs',
    {
      schema: {
        tags: ['jobs'],
        summary: 'List jobs, newest first',
        security,
        querystring: ListQuery,
        response: { 200: z.object({ items: z.array(JobViewSchema), next_cursor: z.string().nullable() }), ...errors },
      },
    },
    async (request) => {
      const { state, type, limit, cursor } = request.query;
      const states = listOf<JobState>(state, JOB_STATES, 'state', 'job_filter_invalid');
      const page = await jobs.list(actorOf(request), { ...(states ? { state: states } : {}), ...(type ? { type } : {}), limit, ...(cursor ? { cursor } : {}) });
      return { items: page.items.map(jobView), next_cursor: page.next_cursor };
    },
  );

  typed.get(
    '/api/v1/jobs/:id',
    {
      schema: { tags: ['jobs'], summary: 'A job', security, params: IdParams, response: { 200: JobViewSchema, ...errors } },
    },
    async (request) => jobView(await jobs.get(actorOf(request), request.params.id)),
  );

  typed.post(
    '/api/v1/jobs/:id/cancel',
    {
      config: { audit: 'jobs.cancel' },
      schema: {
        tags: ['jobs'],
        summary: 'Cancel a job: at once while it waits, at its next heartbeat while it runs (editor)',
        security,
        params: IdParams,
        response: { 200: JobViewSchema, ...errors },
      },
    },
    async (request) => jobView(await jobs.cancel(actorOf(request), request.params.id)),
  );

  typed.post(
    '/api/v1/jobs/:id/retry',
    {
      config: { audit: 'jobs.retry' },
      schema: {
        tags: ['jobs'],
        summary: 'Run a failed or cancelled job again, with all its attempts (editor)',
        security,
        params: IdParams,
        response: { 200: JobViewSchema, ...errors },
      },
    },
    async (request) => jobView(await jobs.retry(actorOf(request), request.params.id)),
  );

  typed.get(
    '/api/v1/jobs/:id/events',
    {
      schema: {
        tags: ['jobs'],
        summary: "A job's events: JSON history, or live Server-Sent Events with Accept: text/event-stream",
        description:
          'With `Accept: text/event-stream` the response is Server-Sent Events: each event has `id: <seq>`, `event: <kind>` ' +
          '(log, metric, progress, state) and `data: <the event as JSON>`. A client reconnecting with `Last-Event-ID` ' +
          '(or `?after=`) receives every later event exactly once. A comment line is sent every 15 s; the stream ends ' +
          "after the job's final state event.",
        security,
        params: IdParams,
        querystring: EventsQuery,
        response: { 200: z.object({ items: z.array(JobEventViewSchema), next_cursor: z.string().nullable() }), ...errors },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const { id } = request.params;
      const { after, cursor, limit, kinds } = request.query;
      const afterSeq = lastEventIdOf(request) ?? after ?? (cursor === undefined ? 0 : Number(cursor));
      const kindList = listOf<JobEventKind>(kinds, JOB_EVENT_KINDS, 'kind', 'job_event_filter_invalid');
      if (!wantsEventStream(request)) {
        const page = await jobs.events(actor, id, { afterSeq, limit, ...(kindList ? { kinds: kindList } : {}) });
        return { items: page.items.map(jobEventView), next_cursor: page.next_cursor };
      }
      const abort = new AbortController();
      // Refusals (unknown job, no rights) are answered as JSON, before the stream starts.
      const events = await jobs.subscribe(actor, id, afterSeq, abort.signal);
      streams.add(abort);
      try {
        await sendEventStream(request, reply, { events: mapEvents(events, kindList), abort, heartbeatMs });
      } finally {
        streams.delete(abort);
      }
      return reply;
    },
  );
}

async function* mapEvents(events: AsyncIterable<Parameters<typeof jobEventView>[0]>, kinds: JobEventKind[] | undefined): AsyncIterable<SseEvent> {
  for await (const event of events) if (!kinds || kinds.includes(event.kind)) yield sseOf(event);
}
