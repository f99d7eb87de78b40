import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { sendEventStream, type SseEvent } from './event-stream.js';

describe('sendEventStream', () => {
  it('writes id/event/data per event, heartbeat comments while idle, and ends with the iterable', async () => {
    const app = Fastify();
    app.get('/stream', async (request, reply) => {
      reply.header('x-request-id', 'req-1');
      async function* events(): AsyncIterable<SseEvent> {
        yield { id: '1', event: 'log', data: { message: 'a' } };
        await new Promise((resolve) => setTimeout(resolve, 150));
        yield { id: '2', event: 'state', data: { state: 'succeeded' } };
      }
      await sendEventStream(request, reply, { events: events(), abort: new AbortController(), heartbeatMs: 20 });
      return reply;
    });
    const res = await app.inject({ method: 'GET', url: '/stream' });
    expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(res.headers['x-request-id']).toBe('req-1');
    expect(res.body.startsWith('retry: 2000\n\nid: 1\nevent: log\ndata: {"message":"a"}\n\n')).toBe(true);
    expect(res.body).toContain(': heartbeat\n\n');
    expect(res.body.endsWith('id: 2\nevent: state\ndata: {"state":"succeeded"}\n\n')).toBe(true);
    await app.close();
  });
});
