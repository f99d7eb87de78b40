/**
 * `dataset.ingest`: the worker runs this in a child process of its own, which opens the metadata
 * db and the blob store from the same configuration as the server (environment + crucible.yaml),
 * fetches the upload into the job's workDir, and ingests it with the job's signal and progress.
 * A ValidationError (bad input) fails the job without retries; the upload is removed again.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createBlobStore } from '../platform/blobs/index.js';
import { loadConfig } from '../platform/config.js';
import { openDatabase } from '../platform/db/index.js';
import { ingestDataset } from './ingest.js';
import { DATASET_INGEST, IngestJobPayloadSchema, type IngestJobPayload } from './job-payload.js';
import { DatasetStore } from './store.js';

/** The part of the worker's handler context this handler uses (the worker's contract, src/worker/handler.ts). */
export interface IngestJobContext {
  payload: IngestJobPayload;
  signal: AbortSignal;
  workDir: string;
  log(level: 'info' | 'warn', message: string): void;
  progress(done: number, total?: number, message?: string): void;
}

export const datasetIngestHandler = {
  type: DATASET_INGEST,
  payloadSchema: IngestJobPayloadSchema,
  async run(ctx: IngestJobContext) {
    const p = ctx.payload;
    const config = loadConfig();
    const database = await openDatabase(config);
    const blobs = await createBlobStore(config);
    try {
      let file = p.path ?? '';
      if (p.upload !== undefined) {
        await mkdir(ctx.workDir, { recursive: true });
        file = path.join(ctx.workDir, 'source');
        ctx.log('info', `fetching upload ${p.upload.slice(0, 12)}… (${p.filename})`);
        await pipeline(await blobs.get(p.upload), createWriteStream(file), { signal: ctx.signal });
      }
      let lastPhase = '';
      const result = await ingestDataset(
        { store: new DatasetStore(database), blobs, workDir: ctx.workDir },
        {
          name: p.name,
          source: { file, label: p.filename, ...(p.upload !== undefined ? { sha256: p.upload } : {}) },
          options: { ...(p.format ? { format: p.format } : {}), textField: p.text_field, skipBadLines: p.skip_bad_lines, validation: p.validation },
          createdBy: p.created_by,
          discardSourceOnFailure: p.upload !== undefined,
        },
        {
          signal: ctx.signal,
          onProgress: (progress) => {
            if (progress.phase !== lastPhase) ctx.log('info', `${p.filename}: ${progress.phase}`);
            lastPhase = progress.phase;
            ctx.progress(progress.done, progress.total, progress.phase);
          },
        },
      );
      const v = result.version;
      ctx.log('info', `${result.created ? 'created' : 'already had'} ${v.ref}: ${v.records} records${result.skipped ? `, ${result.skipped} malformed lines skipped` : ''}`);
      return { dataset: v.dataset, version: v.version, ref: v.ref, created: result.created, records: v.records, skipped_lines: result.skipped };
    } finally {
      if (p.upload !== undefined) await rm(path.join(ctx.workDir, 'source'), { force: true });
      await blobs.close().catch(() => undefined);
      await database.close().catch(() => undefined);
    }
  },
};

export default datasetIngestHandler;
