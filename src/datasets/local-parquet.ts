/**
 * DuckDB reads files, so a version's Parquet blob is materialised once into a local cache
 * (`$CRUCIBLE_HOME/cache/datasets/<sha256>.parquet`, written to a temp name and renamed, so a
 * reader never sees half a file). Blobs are immutable, so a cached file never goes stale.
 */
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { BlobStore } from '../platform/blobs/index.js';

export class ParquetCache {
  private readonly inflight = new Map<string, Promise<string>>();

  constructor(
    private readonly blobs: BlobStore,
    private readonly dir: string,
  ) {}

  /** The local path of the blob's bytes, fetching them on first use. */
  async path(sha256: string): Promise<string> {
    const file = path.join(this.dir, `${sha256}.parquet`);
    if (existsSync(file)) return file;
    let pending = this.inflight.get(sha256);
    if (!pending) {
      pending = this.fetch(sha256, file).finally(() => this.inflight.delete(sha256));
      this.inflight.set(sha256, pending);
    }
    return pending;
  }

  /** Drops a cached file (after its version is deleted). */
  async evict(sha256: string): Promise<void> {
    await rm(path.join(this.dir, `${sha256}.parquet`), { force: true });
  }

  private async fetch(sha256: string, file: string): Promise<string> {
    await mkdir(this.dir, { recursive: true });
    const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
    try {
      await pipeline(await this.blobs.get(sha256), createWriteStream(tmp));
      await rename(tmp, file);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    return file;
  }
}
