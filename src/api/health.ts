import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { VERSION } from '../platform/version.js';

export type ReadinessCheck = () => Promise<void>;

const CheckResult = z.object({ ok: z.boolean(), error: z.string().optional(), ms: z.number() });
const Readiness = z.object({ status: z.enum(['ready', 'unavailable']), checks: z.record(z.string(), CheckResult) });

/** Runs every check concurrently, each bounded in time, and reports all of them. */
export async function runReadiness(checks: Record<string, ReadinessCheck>, timeoutMs = 2000): Promise<z.infer<typeof Readiness>> {
  const results = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      const started = performance.now();
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          check(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
        return [name, { ok: true, ms: performance.now() - started }] as const;
      } catch (err) {
        return [name, { ok: false, error: (err as Error).message, ms: performance.now() - started }] as const;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  const ok = results.every(([, result]) => result.ok);
  return { status: ok ? 'ready' : 'unavailable', checks: Object.fromEntries(results) };
}

/** Liveness (the process answers) and readiness (db, blobs, queue reachable). */
export function registerHealthRoutes(app: FastifyInstance, checks: Record<string, ReadinessCheck>): void {
  const typed = app.withTypeProvider<ZodTypeProvider>();
  typed.get(
    '/healthz',
    { schema: { tags: ['health'], summary: 'Liveness', response: { 200: z.object({ status: z.literal('ok'), version: z.string() }) } } },
    async () => ({ status: 'ok' as const, version: VERSION }),
  );
  typed.get(
    '/readyz',
    { schema: { tags: ['health'], summary: 'Readiness: db, blobs and queue reachable', response: { 200: Readiness, 503: Readiness } } },
    async (_request, reply) => {
      const readiness = await runReadiness(checks);
      return reply.status(readiness.status === 'ready' ? 200 : 503).send(readiness);
    },
  );
}
