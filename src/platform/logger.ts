import { pino, type Logger } from 'pino';
import type { Config } from './config.js';

export type { Logger };

/**
 * JSON logs on stdout (or a given stream). Stdout is written through pino's buffered asynchronous
 * destination: a synchronous write per line halves a server's request rate. Buffered lines are flushed
 * on exit by pino; `logger.flush()` flushes on demand. Fastify derives a child logger per request carrying
 * its `reqId`, so every line written while serving a request names that request.
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
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
