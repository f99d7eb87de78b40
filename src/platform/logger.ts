import { pino, type Logger } from 'pino';
import type { Config } from './config.js';

export type { Logger };

/** Lines are written in batches of about this many bytes (or at least once a second). */
const LOG_BATCH_BYTES = 4096;
const LOG_FLUSH_MS = 1000;

/**
 * JSON logs on stdout (or a given stream). Stdout is written through pino's asynchronous destination,
 * batched: a write per line cost a server a third of its request rate (bench:api). A timer flushes the
 * batch every second, so a quiet server's lines are never more than a second late; pino flushes on exit.
 * Fastify derives a child logger per request carrying its `reqId`, so every line written while serving
 * a request names that request.
 */
export function createLogger(config: Pick<Config, 'log'>, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level: config.log.level,
      base: { service: 'crucible' },
      // Never log credentials, even when a request object is logged whole.
      // Exact paths only: wildcard paths are evaluated on every line and cost measurably per request.
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'config.blobs.s3.secretAccessKey'], censor: '[redacted]' },
    },
    destination ?? batchedStdout(),
  );
}

function batchedStdout(): ReturnType<typeof pino.destination> {
  const stream = pino.destination({ dest: 1, sync: false, minLength: LOG_BATCH_BYTES });
  const timer = setInterval(() => {
    // flush() throws while the destination is still opening or already closed; the next tick retries.
    try {
      stream.flush();
    } catch {
      // nothing to do
    }
  }, LOG_FLUSH_MS);
  timer.unref();
  stream.on('close', () => clearInterval(timer));
  return stream;
}
