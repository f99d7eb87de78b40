/** The jobs domain: submitting, reading, cancelling and retrying jobs, and their event streams. */
export {
  CommandPayloadSchema,
  JobTypeRegistry,
  NoopPayloadSchema,
  type CommandPayload,
  type JobTypeDefinition,
  type NoopPayload,
} from './job-types.js';
export { JobService, type JobEventsQuery, type JobListQuery, type JobServiceOptions } from './service.js';
export {
  JobEventViewSchema,
  jobEventView,
  JobViewSchema,
  jobView,
  SubmitJobBodySchema,
  SubmitJobInputSchema,
  type JobEventView,
  type JobView,
  type SubmitJobInput,
} from './schema.js';
export { registerJobRoutes, type JobRoutesOptions } from './routes.js';
export { WorkerRegistry, WorkerViewSchema, type WorkerPresence, type WorkerView } from './worker-registry.js';
export { registerWorkerRoutes } from './worker-routes.js';
