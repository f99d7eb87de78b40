import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ValidationError } from './errors.js';

/**
 * The one configuration schema. Sources, later wins: defaults < crucible.yaml < environment.
 * The file is `$CRUCIBLE_CONFIG`, else `./crucible.yaml` when it exists.
 */
export const ConfigSchema = z.object({
  home: z.string().min(1).default('./.crucible'),
  server: z
    .object({
      host: z.string().default('127.0.0.1'),
      port: z.coerce.number().int().min(0).max(65535).default(7860),
      /** JSON bodies; uploads stream and have their own limit. */
      bodyLimitBytes: z.coerce.number().int().positive().default(1024 * 1024),
      uploadLimitBytes: z.coerce.number().int().positive().default(10 * 1024 ** 3),
      /** Origins allowed by CORS; empty means CORS is off (the default). */
      corsOrigins: z.array(z.string()).default([]),
      /** How long SIGTERM waits for in-flight requests before closing anyway. */
      shutdownGraceMs: z.coerce.number().int().nonnegative().default(10_000),
    })
    .prefault({}),
  database: z
    .object({
      /** postgres://… selects PostgreSQL (team mode); empty selects the SQLite file in `home`. */
      url: z.string().optional(),
      /** Applies to SQLite; relative to `home`. */
      sqliteFile: z.string().default('crucible.db'),
    })
    .prefault({}),
  blobs: z
    .object({
      driver: z.enum(['fs', 's3']).default('fs'),
      /** The fs driver's root; relative to `home`. */
      dir: z.string().default('blobs'),
      s3: z
        .object({
          bucket: z.string().optional(),
          region: z.string().default('us-east-1'),
          endpoint: z.string().optional(),
          prefix: z.string().default(''),
          forcePathStyle: z.coerce.boolean().default(true),
          accessKeyId: z.string().optional(),
          secretAccessKey: z.string().optional(),
        })
        .prefault({}),
    })
    .prefault({}),
  queue: z
    .object({
      /** embedded: jobs in the metadata db, leased by in-process workers; bullmq: team mode. */
      driver: z.enum(['embedded', 'bullmq']).default('embedded'),
      /** For bullmq: redis://… (or rediss://…), or postgres://… for BullMQ's own PostgreSQL backend. */
      url: z.string().optional(),
      /** Prefix of the BullMQ queue names, so several installations can share one server. */
      name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, "_", "." and "-" only').default('crucible'),
      /** A job whose worker sends no heartbeat for this long goes back to the queue. */
      leaseMs: z.coerce.number().int().min(1_000).default(30_000),
      /** A job whose lease lapses more often than this fails (a crash loop, not bad luck). */
      maxLeaseLapses: z.coerce.number().int().min(0).default(3),
    })
    .prefault({}),
  events: z
    .object({
      /**
       * Where job event streams live. auto: Redis streams when the queue is BullMQ on Redis, else the
       * metadata db (with in-process pub/sub); db or redis to choose explicitly.
       */
      driver: z.enum(['auto', 'db', 'redis']).default('auto'),
      /** For redis: redis://… (default: queue.url). */
      url: z.string().optional(),
      /** db driver: how often a live stream re-reads the db for events appended by other processes. */
      pollMs: z.coerce.number().int().min(10).default(1_000),
    })
    .prefault({}),
  worker: z
    .object({
      /** Jobs one worker runs at once; for `crucible start`, 0 runs no in-process workers. */
      concurrency: z.coerce.number().int().min(0).max(256).default(2),
      /** What this machine offers to jobs; unset: detected (all cores, total memory, GPUs by nvidia-smi). */
      cpu: z.coerce.number().positive().optional(),
      memoryMb: z.coerce.number().int().positive().optional(),
      gpus: z.coerce.number().int().min(0).optional(),
      /** Cancel or timeout: how long a handler may take to stop before it is killed. */
      abortGraceMs: z.coerce.number().int().nonnegative().default(10_000),
      /** SIGTERM: how long running handlers may take to checkpoint and stop before they are killed. */
      shutdownGraceMs: z.coerce.number().int().nonnegative().default(30_000),
      /** How often an idle worker asks the queue for work. */
      pollMs: z.coerce.number().int().min(10).default(500),
      /** Extra handlers, job type → module path (relative to the working directory): site-specific job types. */
      handlers: z.record(z.string(), z.string()).default({}),
    })
    .prefault({}),
  log: z
    .object({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    })
    .prefault({}),
});

export type Config = z.infer<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;

/** Environment variables and the config path each one sets. */
export const ENV_VARS: Record<string, string[]> = {
  CRUCIBLE_HOME: ['home'],
  CRUCIBLE_HOST: ['server', 'host'],
  CRUCIBLE_PORT: ['server', 'port'],
  CRUCIBLE_BODY_LIMIT_BYTES: ['server', 'bodyLimitBytes'],
  CRUCIBLE_UPLOAD_LIMIT_BYTES: ['server', 'uploadLimitBytes'],
  CRUCIBLE_DATABASE_URL: ['database', 'url'],
  CRUCIBLE_BLOBS_DRIVER: ['blobs', 'driver'],
  CRUCIBLE_BLOBS_DIR: ['blobs', 'dir'],
  CRUCIBLE_S3_BUCKET: ['blobs', 's3', 'bucket'],
  CRUCIBLE_S3_REGION: ['blobs', 's3', 'region'],
  CRUCIBLE_S3_ENDPOINT: ['blobs', 's3', 'endpoint'],
  CRUCIBLE_S3_PREFIX: ['blobs', 's3', 'prefix'],
  CRUCIBLE_S3_ACCESS_KEY_ID: ['blobs', 's3', 'accessKeyId'],
  CRUCIBLE_S3_SECRET_ACCESS_KEY: ['blobs', 's3', 'secretAccessKey'],
  CRUCIBLE_QUEUE_DRIVER: ['queue', 'driver'],
  CRUCIBLE_QUEUE_URL: ['queue', 'url'],
  CRUCIBLE_QUEUE_NAME: ['queue', 'name'],
  CRUCIBLE_QUEUE_LEASE_MS: ['queue', 'leaseMs'],
  CRUCIBLE_EVENTS_DRIVER: ['events', 'driver'],
  CRUCIBLE_EVENTS_URL: ['events', 'url'],
  CRUCIBLE_WORKER_CONCURRENCY: ['worker', 'concurrency'],
  CRUCIBLE_WORKER_CPU: ['worker', 'cpu'],
  CRUCIBLE_WORKER_MEMORY_MB: ['worker', 'memoryMb'],
  CRUCIBLE_WORKER_GPUS: ['worker', 'gpus'],
  CRUCIBLE_LOG_LEVEL: ['log', 'level'],
};

/** Config paths whose values are never printed. */
const SECRET_PATHS = [['blobs', 's3', 'secretAccessKey']];

type Json = Record<string, unknown>;

function setPath(target: Json, keys: string[], value: unknown): void {
  let node = target;
  for (const key of keys.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Json;
  }
  node[keys[keys.length - 1]!] = value;
}

function mergeDeep(base: Json, over: Json): Json {
  const out: Json = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const prev = out[key];
    out[key] =
      value && typeof value === 'object' && !Array.isArray(value) && prev && typeof prev === 'object' && !Array.isArray(prev)
        ? mergeDeep(prev as Json, value as Json)
        : value;
  }
  return out;
}

function readConfigFile(file: string): Json {
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ValidationError('config_invalid', `Cannot read ${file}: ${(err as Error).message}. Fix the YAML and start again.`, { file });
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ValidationError('config_invalid', `${file} must be a YAML mapping (key: value), not ${Array.isArray(parsed) ? 'a list' : typeof parsed}.`, { file });
  }
  return parsed as Json;
}

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Highest precedence; used by tests and by CLI flags such as `start --port`. */
  overrides?: Json;
}

/** Load, merge and validate the configuration. Throws a ValidationError naming the bad path. */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const file = env.CRUCIBLE_CONFIG ? path.resolve(cwd, env.CRUCIBLE_CONFIG) : path.join(cwd, 'crucible.yaml');
  if (env.CRUCIBLE_CONFIG && !existsSync(file)) {
    throw new ValidationError('config_not_found', `CRUCIBLE_CONFIG points to ${file}, which does not exist.`, { file });
  }
  let merged: Json = existsSync(file) ? readConfigFile(file) : {};
  const fromEnv: Json = {};
  for (const [name, keys] of Object.entries(ENV_VARS)) {
    const value = env[name];
    if (value !== undefined && value !== '') setPath(fromEnv, keys, value);
  }
  merged = mergeDeep(mergeDeep(merged, fromEnv), options.overrides ?? {});

  const result = ConfigSchema.safeParse(merged);
  if (!result.success) {
    const issues = result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
    const first = issues[0]!;
    throw new ValidationError(
      'config_invalid',
      `Invalid configuration at "${first.path}": ${first.message}. Check crucible.yaml and CRUCIBLE_* variables.`,
      { issues },
    );
  }
  const config = result.data;
  config.home = path.resolve(cwd, config.home);
  return config;
}

/** Absolute path of something under the data directory. */
export function homePath(config: Config, ...parts: string[]): string {
  return path.resolve(config.home, ...parts);
}

/** A copy safe to print: secrets replaced, passwords removed from URLs. */
export function redactConfig(config: Config): Config {
  const copy = structuredClone(config);
  for (const keys of SECRET_PATHS) {
    let node: Json = copy as unknown as Json;
    for (const key of keys.slice(0, -1)) node = (node[key] ?? {}) as Json;
    const last = keys[keys.length - 1]!;
    if (node[last] !== undefined) node[last] = '[redacted]';
  }
  if (copy.database.url) copy.database.url = redactUrl(copy.database.url);
  if (copy.queue.url) copy.queue.url = redactUrl(copy.queue.url);
  if (copy.events.url) copy.events.url = redactUrl(copy.events.url);
  return copy;
}

/** postgres://user:secret@host/db → postgres://user:[redacted]@host/db */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '[redacted]';
    return parsed.toString().replace('%5Bredacted%5D', '[redacted]');
  } catch {
    return '[redacted]';
  }
}
