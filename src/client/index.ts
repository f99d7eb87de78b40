/** Clients of the Crucible API for code outside Crucible (training scripts). The Python twin: clients/python/crucible_client.py. */
export { CrucibleApiError, CrucibleClient, MAX_METRICS_PER_BATCH, TrackedRun, type CrucibleClientOptions, type MetricPoint, type ParamValue, type RunRecord, type RunStatus } from './tracking-client.js';
