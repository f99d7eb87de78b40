import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { NotFoundError, UnavailableError } from '../errors.js';
import type { BlobRef, BlobStore, BlobSource, GetOptions, PutOptions } from './blob-store.js';
import { fsyncDir, fsyncFile } from './fsync.js';
import { HashingStream } from './hashing-stream.js';
import { checkPutOptions, checkRange, checksumMismatch, clampRange } from './options.js';
import { assertSha256 } from './sha256.js';
import { emptyStream, toReadable } from './streams.js';

export interface FsBlobStoreOptions {
  /** Temp files untouched for this long are leftovers of a crash and are removed on open. Default 1 hour. */
  staleTempMs?: number;
}

const DEFAULT_STALE_TEMP_MS = 60 * 60 * 1000;

/**
 * The embedded blob store: `<root>/sha256/ab/cd/<hash>`, written through `<root>/tmp/`.
 * A put streams into a temp file while hashing, fsyncs it, renames it into place and fsyncs the
 * directory: a crash leaves either the whole blob or only a temp file, never a partial blob.
 */
export function fsBlobStore(rootDir: string, options: FsBlobStoreOptions = {}): BlobStore {
  const root = path.resolve(rootDir);
  const tmpDir = path.join(root, 'tmp');
  const staleTempMs = options.staleTempMs ?? DEFAULT_STALE_TEMP_MS;
  const blobDir = (sha256: string) => path.join(root, 'sha256', sha256.slice(0, 2), sha256.slice(2, 4));
  const blobPath = (sha256: string) => path.join(blobDir(sha256), sha256);

  // Opened lazily and retried after a failure, so a data dir mounted late still comes ready.
  let opened: Promise<void> | undefined;
  const ready = (): Promise<void> => {
    opened ??= openRoot(root, tmpDir, staleTempMs).catch((err: unknown) => {
      opened = undefined;
      throw unavailable(root, err);
    });
    return opened;
  };

  async function publish(tmp: string, sha256: string): Promise<void> {
    const dir = blobDir(sha256);
    const firstCreated = await mkdir(dir, { recursive: true });
    if (await exists(blobPath(sha256))) {
      await rm(tmp, { force: true }); // same content is stored already: dedup
      return;
    }
    await rename(tmp, blobPath(sha256));
    await fsyncDir(dir);
    // New shard directories must be durable in their parents too, or the rename may not survive a crash.
    if (firstCreated !== undefined) {
      const top = path.dirname(firstCreated);
      for (let d = path.dirname(dir); ; d = path.dirname(d)) {
        await fsyncDir(d);
        if (d === top) break;
      }
    }
  }

  async function statBlob(sha256: string): Promise<BlobRef | null> {
    assertSha256(sha256);
    await ready();
    try {
      return { sha256, size: (await stat(blobPath(sha256))).size };
    } catch (err) {
      if (isCode(err, 'ENOENT')) return null;
      throw err;
    }
  }

  return {
    driver: 'fs',

    async put(source: BlobSource, putOptions?: PutOptions): Promise<BlobRef> {
      const { maxBytes, expectedSha256, signal } = checkPutOptions(putOptions);
      signal?.throwIfAborted();
      await ready();
      const tmp = path.join(tmpDir, randomUUID());
      const hasher = new HashingStream(maxBytes);
      try {
        await pipeline(toReadable(source), hasher, createWriteStream(tmp, { flags: 'wx' }), { signal });
        await fsyncFile(tmp); // fsync acts on the file, not the descriptor: a fresh one flushes the bytes written
        const ref: BlobRef = { sha256: hasher.digest(), size: hasher.bytes };
        if (expectedSha256 !== undefined && ref.sha256 !== expectedSha256) throw checksumMismatch(expectedSha256, ref.sha256);
        signal?.throwIfAborted(); // cancelled while finishing: still store nothing
        await publish(tmp, ref.sha256);
        return ref;
      } catch (err) {
        await rm(tmp, { force: true });
        if (signal?.aborted) throw signal.reason;
        throw storageFailure(root, err);
      }
    },

    async get(sha256: string, getOptions?: GetOptions): Promise<Readable> {
      assertSha256(sha256);
      const range = checkRange(getOptions);
      await ready();
      let handle: FileHandle;
      try {
        handle = await open(blobPath(sha256), 'r'); // an open handle keeps reading even if the blob is deleted meanwhile
      } catch (err) {
        if (isCode(err, 'ENOENT')) throw notFound(sha256);
        throw err;
      }
      try {
        const clamped = clampRange(range, (await handle.stat()).size);
        if (clamped === null) {
          await handle.close();
          return emptyStream();
        }
        return handle.createReadStream({ start: clamped.start, end: clamped.end }); // closes the handle when done
      } catch (err) {
        await handle.close().catch(() => undefined);
        throw err;
      }
    },

    stat: statBlob,

    async has(sha256: string): Promise<boolean> {
      return (await statBlob(sha256)) !== null;
    },

    async delete(sha256: string): Promise<void> {
      assertSha256(sha256);
      await ready();
      // Shard directories stay: removing them could race a concurrent put renaming into them.
      await rm(blobPath(sha256), { force: true });
    },

    async ping(): Promise<void> {
      await ready();
      const probe = path.join(tmpDir, `ping-${randomUUID()}`);
      try {
        await (await open(probe, 'wx')).close();
        await rm(probe, { force: true });
      } catch (err) {
        throw unavailable(root, err);
      }
    },

    async close(): Promise<void> {
      // Nothing held open: reads own their file handles and close them when they end.
    },
  };
}

/** Creates the layout and sweeps temp files a crashed process left behind. */
async function openRoot(root: string, tmpDir: string, staleTempMs: number): Promise<void> {
  await mkdir(tmpDir, { recursive: true });
  await mkdir(path.join(root, 'sha256'), { recursive: true });
  const cutoff = Date.now() - staleTempMs;
  for (const name of await readdir(tmpDir)) {
    const file = path.join(tmpDir, name);
    const info = await stat(file).catch(() => null); // may vanish under a concurrent process
    if (info !== null && info.mtimeMs < cutoff) await rm(file, { force: true, recursive: true });
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch (err) {
    if (isCode(err, 'ENOENT')) return false;
    throw err;
  }
}

function isCode(err: unknown, ...codes: string[]): boolean {
  return typeof err === 'object' && err !== null && codes.includes((err as { code?: unknown }).code as string);
}

function notFound(sha256: string): NotFoundError {
  return new NotFoundError('blob_not_found', `Blob ${sha256} does not exist: it was never stored or has been deleted.`, { sha256 });
}

function unavailable(root: string, err: unknown): UnavailableError {
  const code = (err as { code?: string }).code ?? (err as Error).message;
  return new UnavailableError(
    'blobs_unavailable',
    `Cannot write to the blob directory ${root} (${code}). Make sure it exists and is writable, or point CRUCIBLE_HOME / CRUCIBLE_BLOBS_DIR elsewhere.`,
    { root },
    { cause: err },
  );
}

/** A full or read-only disk is the store being unavailable, not a bug: say so and what to do. */
function storageFailure(root: string, err: unknown): unknown {
  if (!isCode(err, 'ENOSPC', 'EDQUOT', 'EROFS', 'EACCES', 'EPERM')) return err;
  return unavailable(root, err);
}
