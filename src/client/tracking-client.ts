/**
 * A client of Crucible's tracking API for TypeScript training scripts: create a run, log metrics
 * (buffered, sent in log-batch calls of at most 1,000 points), params and tags, then finish.
 * Standalone on purpose: it imports nothing from the rest of Crucible, only `fetch` (Node ≥ 18).
 * @example
 * const client = new CrucibleClient({ url: 'http://127.0.0.1:7860', key: process.env.CRUCIBLE_API_KEY });
 * const run = await client.createRun({ name: 'lr-sweep-1', params: { lr: 3e-4 } });
 * for (let step = 0; step < 100; step++) run.logMetric('loss', loss, step);
 * await run.finish(); // flushes, then marks the run finished
 */

export type ParamValue = string | number | boolean;
export type RunStatus = 'running' | 'finished' | 'failed' | 'killed';

export interface RunRecord {
  id: string;
  name: string;
  job_id: string | null;
  status: RunStatus;
  start_time: string;
  end_time: string | null;
  created_by: string | null;
  params: Record<string, string>;
  tags: Record<string, string>;
  metrics: Record<string, { step: number; value: number; timestamp: string }>;
  artifacts: Array<{ name: string; sha256: string; size: number; created_at: string }>;
}

export interface MetricPoint {
  name: string;
  value: number;
  step: number;
  /** ISO-8601; the time `logMetric` was called. */
  timestamp: string;
}

/** An error answer of the API: its stable `code` (e.g. `param_conflict`), HTTP status and message. */
export class CrucibleApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'CrucibleApiError';
  }
}

export interface CrucibleClientOptions {
  /** The server, e.g. `http://127.0.0.1:7860`. Default: CRUCIBLE_URL or that address. */
  url?: string;
  /** An editor (or admin) API key. Default: CRUCIBLE_API_KEY. */
  key?: string;
  /** Points buffered before a flush starts on its own (default and maximum 1,000: the log-batch limit). */
  maxBatch?: number;
  /** A buffered point waits at most this long before a flush starts on its own (default 2,000 ms; 0: only on flush()). */
  flushIntervalMs?: number;
}

/** The API's log-batch limit on metrics per call. */
export const MAX_METRICS_PER_BATCH = 1000;

export class CrucibleClient {
  readonly url: string;
  private readonly key: string | undefined;
  readonly maxBatch: number;
  readonly flushIntervalMs: number;

  constructor(options: CrucibleClientOptions = {}) {
    this.url = (options.url ?? process.env.CRUCIBLE_URL ?? 'http://127.0.0.1:7860').replace(/\/+$/, '');
    this.key = options.key ?? process.env.CRUCIBLE_API_KEY;
    this.maxBatch = Math.min(Math.max(1, options.maxBatch ?? MAX_METRICS_PER_BATCH), MAX_METRICS_PER_BATCH);
    this.flushIntervalMs = options.flushIntervalMs ?? 2_000;
  }

  /** One JSON call; an error answer becomes a CrucibleApiError. */
  async request<T>(method: string, route: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.key) headers.authorization = `Bearer ${this.key}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(this.url + route, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await response.text();
    const payload = text ? (JSON.parse(text) as unknown) : undefined;
    if (!response.ok) {
      const error = (payload as { error?: { code?: string; message?: string; details?: unknown } } | undefined)?.error;
      throw new CrucibleApiError(response.status, error?.code ?? 'http_error', error?.message ?? `${method} ${route} answered ${response.status}`, error?.details);
    }
    return payload as T;
  }

  /** Stores bytes on the server (POST /api/v1/uploads); returns their sha256 and size. */
  async upload(bytes: Uint8Array): Promise<{ sha256: string; size: number }> {
    const headers: Record<string, string> = { accept: 'application/json', 'content-type': 'application/octet-stream' };
    if (this.key) headers.authorization = `Bearer ${this.key}`;
    const response = await fetch(`${this.url}/api/v1/uploads`, { method: 'POST', headers, body: bytes });
    const payload = (await response.json()) as { sha256: string; size: number; error?: { code: string; message: string; details?: unknown } };
    if (!response.ok) throw new CrucibleApiError(response.status, payload.error?.code ?? 'http_error', payload.error?.message ?? `upload answered ${response.status}`, payload.error?.details);
    return payload;
  }

  /** Creates a run (status `running`) and returns a handle that logs to it. */
  async createRun(input: { name?: string; params?: Record<string, ParamValue>; tags?: Record<string, ParamValue>; jobId?: string } = {}): Promise<TrackedRun> {
    const record = await this.request<RunRecord>('POST', '/api/v1/runs', {
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.params ? { params: input.params } : {}),
      ...(input.tags ? { tags: input.tags } : {}),
      ...(input.jobId ? { job_id: input.jobId } : {}),
    });
    return new TrackedRun(this, record);
  }

  /** A handle on an existing run (to keep logging to it). */
  async run(id: string): Promise<TrackedRun> {
    return new TrackedRun(this, await this.getRun(id));
  }

  getRun(id: string): Promise<RunRecord> {
    return this.request('GET', `/api/v1/runs/${encodeURIComponent(id)}`);
  }
}

/**
 * A run being logged to. Metrics are buffered and sent in order; a failed flush keeps its points
 * and the error is thrown by the next `flush()` or `finish()` (so nothing is lost silently).
 */
export class TrackedRun {
  private buffer: MetricPoint[] = [];
  private chain: Promise<void> = Promise.resolve();
  private failure: unknown;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly client: CrucibleClient,
    readonly record: RunRecord,
  ) {}

  get id(): string {
    return this.record.id;
  }

  private get path(): string {
    return `/api/v1/runs/${encodeURIComponent(this.id)}`;
  }

  /** Buffers one point; a full buffer (or the flush interval) sends it. */
  logMetric(name: string, value: number, step = 0): void {
    if (!Number.isFinite(value)) throw new RangeError(`metric ${name}: value must be a finite number, got ${value}`);
    this.buffer.push({ name, value, step, timestamp: new Date().toISOString() });
    if (this.buffer.length >= this.client.maxBatch) void this.flush().catch(() => undefined);
    else if (this.client.flushIntervalMs > 0) {
      this.timer ??= setTimeout(() => void this.flush().catch(() => undefined), this.client.flushIntervalMs);
      this.timer.unref?.();
    }
  }

  /** Buffers several metrics at one step: `run.logMetrics({loss, acc}, step)`. */
  logMetrics(values: Record<string, number>, step = 0): void {
    for (const [name, value] of Object.entries(values)) this.logMetric(name, value, step);
  }

  /** Sets params now (set once: another value for a key is CrucibleApiError `param_conflict`). */
  async logParams(params: Record<string, ParamValue>): Promise<void> {
    await this.client.request('POST', `${this.path}/log-batch`, { params });
  }

  /** Sets tags now (the last value wins). */
  async setTags(tags: Record<string, ParamValue>): Promise<void> {
    await this.client.request('POST', `${this.path}/log-batch`, { tags });
  }

  /** Sends every buffered point (in batches of at most 1,000); resolves once they are stored. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.chain = this.chain.then(async () => {
      while (this.buffer.length > 0) {
        const batch = this.buffer.slice(0, this.client.maxBatch);
        try {
          await this.client.request('POST', `${this.path}/log-batch`, { metrics: batch });
        } catch (err) {
          this.failure = err;
          return;
        }
        this.buffer.splice(0, batch.length);
      }
      this.failure = undefined;
    });
    return this.chain.then(() => {
      if (this.failure !== undefined) throw this.failure;
    });
  }

  /**
   * Uploads bytes and names them in the run (artifacts are never overwritten: the same name for
   * other bytes is CrucibleApiError `artifact_conflict`).
   */
  async logArtifact(name: string, bytes: Uint8Array): Promise<RunRecord> {
    const blob = await this.client.upload(bytes);
    return this.client.request<RunRecord>('POST', `${this.path}/artifacts`, { name, sha256: blob.sha256 });
  }

  /** Points waiting to be sent. */
  get pending(): number {
    return this.buffer.length;
  }

  async setStatus(status: RunStatus): Promise<RunRecord> {
    return this.client.request<RunRecord>('PATCH', this.path, { status });
  }

  /** Flushes, then marks the run `finished` (or the status given). */
  async finish(status: RunStatus = 'finished'): Promise<RunRecord> {
    await this.flush();
    return this.setStatus(status);
  }
}
