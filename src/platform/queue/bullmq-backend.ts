import { createPostgresBackend, createRedisBackend, withBackend, type BackendClasses, type IQueueBackend } from 'bullmq';
import { ValidationError } from '../errors.js';
import { redactUrl } from '../config.js';

/** BullMQ's Queue and Worker bound to one datastore, and the connection options each instance gets. */
export interface BullmqBackend {
  kind: 'redis' | 'postgres';
  classes: BackendClasses<IQueueBackend, unknown>;
  connection(): unknown;
}

function redisOptions(url: URL): Record<string, unknown> {
  return {
    host: url.hostname || '127.0.0.1',
    port: url.port ? Number(url.port) : 6379,
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(url.pathname.length > 1 ? { db: Number(url.pathname.slice(1)) } : {}),
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/**
 * redis://… or rediss://… → BullMQ on Redis; postgres://… → BullMQ on PostgreSQL through its own
 * backend (createPostgresBackend), which creates and migrates its tables itself (`migrate: true`,
 * serialised by BullMQ with an advisory lock).
 */
export function bullmqBackend(url: string): BullmqBackend {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    parsed = new URL('invalid:');
  }
  if (parsed.protocol === 'redis:' || parsed.protocol === 'rediss:') {
    const options = redisOptions(parsed);
    return { kind: 'redis', classes: withBackend(createRedisBackend) as unknown as BackendClasses<IQueueBackend, unknown>, connection: () => ({ ...options }) };
  }
  if (parsed.protocol === 'postgres:' || parsed.protocol === 'postgresql:') {
    return {
      kind: 'postgres',
      classes: withBackend(createPostgresBackend) as unknown as BackendClasses<IQueueBackend, unknown>,
      connection: () => ({ connectionString: url, migrate: true, max: 4, application_name: 'crucible-queue' }),
    };
  }
  throw new ValidationError(
    'queue_url_unsupported',
    `CRUCIBLE_QUEUE_URL (${redactUrl(url)}) must start with redis://, rediss:// or postgres:// for the bullmq driver.`,
  );
}
