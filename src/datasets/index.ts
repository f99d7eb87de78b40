/** The datasets domain: ingest, versions, profile and validation report, transforms, preview, query, export, diff. */
export { DatasetService, versionView, type AddResult, type DatasetServiceDeps, type ExportFile, type RecipeCheck } from './service.js';
export { DatasetStore, type StoredVersion } from './store.js';
export { ParquetCache } from './local-parquet.js';
export { ingestDataset, contentKeyOf, sha256File, type IngestProgress, type IngestRequest, type IngestResult, type RunControl } from './ingest.js';
export { DATASET_INGEST, datasetJobTypes, INGEST_RESOURCES, IngestJobPayloadSchema, type IngestJobPayload } from './job-payload.js';
export { registerDatasetRoutes } from './routes.js';
export { parseDatasetRef, formatRef, type DatasetRef } from './ref.js';
export type { DatasetProfile } from './profile.js';
export * from './schema.js';
export {
  DATASET_TRANSFORM,
  RecipeFindingSchema,
  TransformInputSchema,
  TransformJobPayloadSchema,
  validateRecipe,
  type RecipeFinding,
  type StoredRecipe,
  type TransformInput,
  type TransformJobPayload,
  type TransformResult,
} from './transforms/index.js';
