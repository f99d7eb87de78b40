/**
 * Row types of the metadata database, one interface per table, named `<Name>Table`.
 * Column conventions (ids text, timestamps ISO-8601 UTC text, booleans 0/1, JSON text) are
 * documented in migrations/index.ts. A migration that adds a table adds its interface here.
 */

/** API keys. The key itself is never stored: only its sha256 and its first characters. */
export interface ApiKeysTable {
  id: string;
  name: string;
  /** viewer | editor | admin */
  role: string;
  /** The first characters of the key, shown in listings so a user can tell keys apart. */
  prefix: string;
  /** sha256 hex of the full key; unique. */
  key_hash: string;
  created_at: string;
  created_by: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
}

/** Who did what, when, with which outcome. Append-only. */
export interface AuditLogTable {
  id: string;
  at: string;
  actor_id: string | null;
  actor_name: string | null;
  /** e.g. `keys.create` */
  action: string;
  target: string | null;
  /** success | denied | failed */
  outcome: string;
  /** The HTTP status, when the action came through the API. */
  status: number | null;
  request_id: string | null;
  /** JSON text. */
  details: string | null;
}

/** The embedded job queue: one row per job (src/platform/queue/db-queue.ts). */
export interface JobsTable {
  id: string;
  type: string;
  /** JSON text. */
  payload: string;
  /** queued | running | retrying | succeeded | failed | cancelled */
  state: string;
  priority: number;
  cpu_millis: number;
  memory_mb: number;
  gpus: number;
  max_attempts: number;
  /** JSON text: {baseMs, maxMs, jitter}. */
  backoff: string;
  timeout_ms: number | null;
  idempotency_key: string | null;
  failed_attempts: number;
  lease_lapses: number;
  /** 0/1 */
  cancel_requested: number;
  run_after: string | null;
  worker_id: string | null;
  lease_token: string | null;
  lease_expires_at: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  /** JSON text. */
  result: string | null;
  /** JSON text: {message, stack?, code?}. */
  error: string | null;
}

/** Each job's last event seq (src/platform/events/db-event-store.ts); bumping it serialises appenders. */
export interface JobEventHeadsTable {
  job_id: string;
  last_seq: number;
}

/** Job event streams: log lines, metric points, progress, state changes. Append-only. */
export interface JobEventsTable {
  job_id: string;
  /** 1, 2, 3 … per job, no gaps. */
  seq: number;
  at: string;
  /** log | metric | progress | state */
  kind: string;
  /** JSON text: the event's fields other than job_id, seq, at and kind. */
  data: string;
}

/** A dataset: a name whose versions hold the data (src/datasets). */
export interface DatasetsTable {
  id: string;
  name: string;
  /** The highest version number ever given (numbers are never reused). */
  last_version: number;
  created_at: string;
  created_by: string | null;
}

/** One immutable, content-addressed version of a dataset: its blobs, its profile and its findings. */
export interface DatasetVersionsTable {
  id: string;
  dataset_id: string;
  /** 1, 2, 3 … per dataset. */
  version: number;
  /** sha256 of the source bytes and the ingest options; unique per dataset. */
  content_key: string;
  /** jsonl | csv | tsv | parquet | text | zip */
  format: string;
  text_field: string;
  source_name: string | null;
  source_sha256: string;
  source_size: number;
  parquet_sha256: string;
  parquet_size: number;
  records: number;
  skipped_lines: number;
  /** JSON text: the ingest options. */
  options: string;
  /** JSON text. */
  profile: string;
  /** JSON text: the validation findings. */
  findings: string;
  parent_version_id: string | null;
  /** JSON text: the transform recipe that derived this version. */
  recipe: string | null;
  created_at: string;
  created_by: string | null;
}

/** One run of a workflow file (src/workflows). */
export interface WorkflowRunsTable {
  id: string;
  name: string;
  /** queued | running | succeeded | failed | cancelled */
  state: string;
  /** JSON text: the validated definition {name, steps}. */
  definition: string;
  /** The file as submitted (YAML or JSON text), when there was one. */
  source: string | null;
  actor_id: string;
  actor_name: string;
  /** viewer | editor | admin: the rights its steps are submitted with. */
  actor_role: string;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

/** One step of a workflow run, and the job it became. */
export interface WorkflowStepsTable {
  run_id: string;
  step_id: string;
  /** pending | queued | running | succeeded | failed | cancelled | skipped */
  state: string;
  /** Times the run submitted this step (retry adds one); part of the job's idempotency key. */
  attempt: number;
  job_id: string | null;
  /** JSON text: the job's result once it succeeded. */
  outputs: string | null;
  reason: string | null;
  started_at: string | null;
  finished_at: string | null;
}

/** A tracked run (src/tracking): what produced it, its status and its times. */
export interface RunsTable {
  id: string;
  name: string;
  /** The job that produced it; null for runs logged from outside Crucible. */
  job_id: string | null;
  /** running | finished | failed | killed */
  status: string;
  start_time: string;
  end_time: string | null;
  /** The seq of the run's last metric point (points are numbered 1, 2, 3 … per run). */
  metric_seq: number;
  created_by: string | null;
}

/** A run's params: set once, never changed. */
export interface RunParamsTable {
  run_id: string;
  key: string;
  value: string;
}

/** A run's tags: the latest value per key. */
export interface RunTagsTable {
  run_id: string;
  key: string;
  value: string;
}

/** A run's metric points, append-only, numbered per run. */
export interface RunMetricsTable {
  run_id: string;
  seq: number;
  name: string;
  step: number;
  value: number;
  at: string;
}

/** Each metric's last logged point per run (kept by log-batch). */
export interface RunLatestMetricsTable {
  run_id: string;
  name: string;
  seq: number;
  step: number;
  value: number;
  at: string;
}

/** A run's artifacts: a name for a blob. */
export interface RunArtifactsTable {
  run_id: string;
  name: string;
  sha256: string;
  size: number;
  created_at: string;
}

/** The run a job's metric events land in, and the last job event seq copied there. */
export interface JobRunsTable {
  job_id: string;
  run_id: string;
  last_event_seq: number;
}

/** Every table, by name: the type parameter of `Kysely<Tables>`. Later migrations extend this. */
/** 0007-workers: one row per worker that registered. */
export interface WorkersTable {
  id: string;
  host: string;
  pid: number;
  resources: string;
  types: string;
  running: string;
  concurrency: number;
  started_at: string;
  last_seen_at: string;
  stopped_at: string | null;
}

export interface Tables {
  api_keys: ApiKeysTable;
  audit_log: AuditLogTable;
  jobs: JobsTable;
  job_event_heads: JobEventHeadsTable;
  job_events: JobEventsTable;
  datasets: DatasetsTable;
  dataset_versions: DatasetVersionsTable;
  runs: RunsTable;
  run_params: RunParamsTable;
  run_tags: RunTagsTable;
  run_metrics: RunMetricsTable;
  run_latest_metrics: RunLatestMetricsTable;
  run_artifacts: RunArtifactsTable;
  job_runs: JobRunsTable;
  workflow_runs: WorkflowRunsTable;
  workflow_steps: WorkflowStepsTable;
  workers: WorkersTable;
}
