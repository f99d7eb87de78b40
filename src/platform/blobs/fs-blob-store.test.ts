import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UnavailableError } from '../errors.js';
import { describeBlobStoreContract } from './blob-store.contract.js';
import { diskUsage } from './disk-usage.js';
import { fsBlobStore } from './fs-blob-store.js';

const tempRoot = () => mkdtemp(path.join(tmpdir(), 'crucible-blobs-'));

describeBlobStoreContract('fs', async () => {
  const root = await tempRoot();
  return {
    store: fsBlobStore(root),
    cleanup: () => rm(root, { recursive: true, force: true }),
    leftovers: () => readdir(path.join(root, 'tmp')),
    storedBytes: () => diskUsage(root),
  };
});

describe('fsBlobStore', () => {
  let root: string;
  beforeEach(async () => {
    root = await tempRoot();
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('lays blobs out as sha256/ab/cd/<hash> under the root', async () => {
    const data = Buffer.from('layout');
    const sha256 = createHash('sha256').update(data).digest('hex');
    await fsBlobStore(root).put(data);
    const file = path.join(root, 'sha256', sha256.slice(0, 2), sha256.slice(2, 4), sha256);
    expect((await stat(file)).size).toBe(data.length);
    expect(await readdir(path.join(root, 'tmp'))).toEqual([]);
  });

  it('sweeps temp files a crash left behind, and only stale ones', async () => {
    await mkdir(path.join(root, 'tmp'), { recursive: true });
    const stale = path.join(root, 'tmp', 'stale-upload');
    const fresh = path.join(root, 'tmp', 'live-upload');
    await writeFile(stale, 'half a blob');
    await writeFile(fresh, 'an upload in progress in another process');
    const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    await utimes(stale, twoHoursAgo, twoHoursAgo);
    const store = fsBlobStore(root);
    expect(await store.has('0'.repeat(64))).toBe(false); // the first call opens the store
    expect(await readdir(path.join(root, 'tmp'))).toEqual(['live-upload']);
  });

  it('reports a root it cannot write as blobs_unavailable, naming the settings', async () => {
    const notADir = path.join(root, 'file');
    await writeFile(notADir, 'in the way');
    const store = fsBlobStore(notADir);
    const err = await store.ping().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect((err as UnavailableError).code).toBe('blobs_unavailable');
    expect((err as UnavailableError).message).toContain('CRUCIBLE_BLOBS_DIR');
    await expect(store.put(Buffer.from('x'))).rejects.toBeInstanceOf(UnavailableError);
  });

  it('recovers once the root becomes usable', async () => {
    const later = path.join(root, 'mounted-later');
    await writeFile(later, 'not yet');
    const store = fsBlobStore(later);
    await expect(store.ping()).rejects.toBeInstanceOf(UnavailableError);
    await rm(later);
    await store.ping();
  });
});
