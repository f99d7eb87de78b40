/** The tracking domain: runs with params, tags, metric series and artifacts; compare; jobs' runs. */
export { TrackingService, type MetricSeriesQuery, type RunListQuery, type TrackingServiceDeps } from './service.js';
export { RunStore } from './store.js';
export { compareRuns, type ComparePoint } from './compare.js';
export { trackedEventSink, withRunTracking, type JobLookup } from './job-runs.js';
export { registerTrackingRoutes } from './routes.js';
export * from './schema.js';
