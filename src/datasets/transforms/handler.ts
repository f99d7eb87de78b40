/**
 * `dataset.transform`: run by the worker in a child process of its own, which opens the metadata
 * db and the blob store from the server's configuration, validates the recipe against the parent
 * (a workflow may submit one that no one has checked), and runs it with the job's signal,
 * reporting each phase as a log line and progress. A bad recipe fails the job without retries
 * (ValidationError) and leaves nothing behind.
 */
import { createBlobStore } from '../../platform/blobs/index.js';
import { homePath, loadConfig } from '../../platform/config.js';
import { openDatabase } from '../../platform/db/index.js';
import { ParquetCache } from '../local-parquet.js';
import { DatasetStore } from '../store.js';
import { DATASET_TRANSFORM, TransformJobPayloadSchema, type TransformJobPayload } from './job-payload.js';
import { transformDataset } from './run-transform.js';

/** The part of the worker's handler context this handler uses (src/worker/handler.ts). */
export interface TransformJobContext {
  payload: TransformJobPayload;
  signal: AbortSignal;
  workDir: string;
  log(level: 'info' | 'warn', message: string): void;
  progress(done: number, total?: number, message?: string): void;
}

export const datasetTransformHandler = {
  type: DATASET_TRANSFORM,
  payloadSchema: TransformJobPayloadSchema,
  async run(ctx: TransformJobContext) {
    const p = ctx.payload;
    const config = loadConfig();
    const database = await openDatabase(config);
    const blobs = await createBlobStore(config);
    try {
      let lastPhase = '';
      ctx.log('info', `checking the recipe${p.recipe_name ? ` ${p.recipe_name}` : ''} against ${p.dataset}`);
      const result = await transformDataset(
        { store: new DatasetStore(database), blobs, cache: new ParquetCache(blobs, homePath(config, 'cache', 'datasets')), workDir: ctx.workDir },
        { parent: p.dataset, recipe: p.recipe, ...(p.recipe_name ? { recipeName: p.recipe_name } : {}), ...(p.name ? { name: p.name } : {}), createdBy: p.created_by },
        {
          signal: ctx.signal,
          onTransformProgress: (progress) => {
            const label = progress.message ?? progress.phase;
            if (label !== lastPhase) ctx.log('info', `${p.dataset}: ${label}`);
            lastPhase = label;
            ctx.progress(progress.done, progress.total, progress.phase);
          },
        },
      );
      for (const s of result.stats) ctx.log('info', `step ${s.step}: ${s.records_in} records in, ${s.records_out} out`);
      const v = result.version;
      ctx.log('info', `${result.created ? 'created' : 'already had'} ${v.ref} from ${v.parent}: ${v.records} records (recipe ${v.recipe?.sha256.slice(0, 12)})`);
      return { dataset: v.dataset, version: v.version, ref: v.ref, created: result.created, records: v.records, parent: v.parent, recipe_sha256: v.recipe?.sha256 ?? null, steps: result.stats.map((s) => ({ ...s })) };
    } finally {
      await blobs.close().catch(() => undefined);
      await database.close().catch(() => undefined);
    }
  },
};

export default datasetTransformHandler;
