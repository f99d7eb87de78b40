import { once } from 'node:events';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** True when the client asked for Server-Sent Events (`Accept: text/event-stream`). */
export function wantsEventStream(request: FastifyRequest): boolean {
  return (request.headers.accept ?? '').includes('text/event-stream');
}

/** `Last-Event-ID` as a seq, when the client sent a usable one. */
export function lastEventIdOf(request: FastifyRequest): number | undefined {
  const header = request.headers['last-event-id'];
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || !/^\d{1,15}$/.test(value.trim())) return undefined;
  return Number(value.trim());
}

export interface SseEvent {
  id: string;
  event: string;
  data: unknown;
}

/**
 * Writes `events` to the client as Server-Sent Events (`id:`, `event:`, `data:` per event), with a
 * comment line every `heartbeatMs` so that proxies keep an idle stream open, until the iterable ends
 * or the client goes away (then `abort` is called so the producer stops). Takes the reply over from
 * Fastify: headers already set on it (request id, CORS) are sent along.
 */
export async function sendEventStream(
  request: FastifyRequest,
  reply: FastifyReply,
  options: { events: AsyncIterable<SseEvent>; abort: AbortController; heartbeatMs: number; retryMs?: number },
): Promise<void> {
  const { abort } = options;
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    ...(reply.getHeaders() as Record<string, string>),
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    // nginx and similar proxies buffer responses unless told not to.
    'x-accel-buffering': 'no',
  });
  const onClose = () => abort.abort();
  raw.on('close', onClose);
  const write = async (chunk: string) => {
    if (raw.destroyed || raw.writableEnded) return;
    if (!raw.write(chunk)) await Promise.race([once(raw, 'drain'), once(raw, 'close')]);
  };
  const heartbeat = setInterval(() => void write(': heartbeat\n\n'), options.heartbeatMs);
  try {
    // How long a browser's EventSource waits before it reconnects (with Last-Event-ID).
    await write(`retry: ${options.retryMs ?? 2_000}\n\n`);
    for await (const event of options.events) {
      await write(`id: ${event.id}\nevent: ${event.event}\ndata: ${JSON.stringify(event.data)}\n\n`);
      if (abort.signal.aborted) break;
    }
  } catch (err) {
    request.log.error({ err }, 'event stream failed');
    const message = 'The event stream failed on the server; reconnect with Last-Event-ID to resume.';
    await write(`event: error\ndata: ${JSON.stringify({ error: { code: 'stream_failed', message } })}\n\n`).catch(() => undefined);
  } finally {
    clearInterval(heartbeat);
    raw.off('close', onClose);
    if (!raw.writableEnded) raw.end();
  }
}
