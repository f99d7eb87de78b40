import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnavailableError, ValidationError } from '../errors.js';
import { describeBlobStoreContract } from './blob-store.contract.js';
import { diskUsage } from './disk-usage.js';
import { startLocalS3Server, type LocalS3Server } from './local-s3-server.js';
import { normalizePrefix, s3BlobStore } from './s3-blob-store.js';

// One s3rver for the file; each test gets a bucket of its own, so tests share no state.
let server: LocalS3Server;
let admin: S3Client;

beforeAll(async () => {
  server = await startLocalS3Server([]);
  admin = new S3Client({
    endpoint: server.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
  });
});
afterAll(async () => {
  admin?.destroy();
  await server?.close();
});

async function freshBucket(): Promise<string> {
  const bucket = `test-${randomUUID()}`;
  await admin.send(new CreateBucketCommand({ Bucket: bucket }));
  return bucket;
}

function storeFor(bucket: string, prefix = '') {
  return s3BlobStore({
    bucket,
    prefix,
    endpoint: server.endpoint,
    forcePathStyle: true,
    accessKeyId: server.accessKeyId,
    secretAccessKey: server.secretAccessKey,
  });
}

async function keysUnder(bucket: string, prefix: string): Promise<string[]> {
  const out = await admin.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (out.Contents ?? []).map((o) => o.Key ?? '');
}

describeBlobStoreContract('s3 (s3rver)', async () => {
  const bucket = await freshBucket();
  // A prefix without its trailing '/' also checks that the store normalizes it.
  const store = storeFor(bucket, 'crucible');
  return {
    store,
    // s3rver removes a bucket's files with the bucket; the server's directory goes in afterAll.
    cleanup: async () => undefined,
    leftovers: () => keysUnder(bucket, 'crucible/tmp/'),
    storedBytes: () => diskUsage(path.join(server.directory, bucket)),
  };
});

describe('s3BlobStore', () => {
  it('keeps blobs under <prefix>sha256/<hash>, and prefixes apart', async () => {
    const bucket = await freshBucket();
    const a = storeFor(bucket, 'team-a/');
    const b = storeFor(bucket, 'team-b');
    const ref = await a.put(Buffer.from('prefixed'));
    expect(await keysUnder(bucket, '')).toEqual([`team-a/sha256/${ref.sha256}`]);
    expect(await b.has(ref.sha256)).toBe(false);
    await Promise.all([a.close(), b.close()]);
  });

  it('reports a missing bucket as blobs_unavailable naming CRUCIBLE_S3_BUCKET', async () => {
    const store = storeFor(`missing-${randomUUID()}`);
    const err = await store.ping().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect((err as UnavailableError).code).toBe('blobs_unavailable');
    expect((err as UnavailableError).message).toContain('CRUCIBLE_S3_BUCKET');
    await expect(store.put(Buffer.from('x'))).rejects.toBeInstanceOf(UnavailableError);
    await store.close();
  });

  it('reports an unreachable endpoint as blobs_unavailable naming CRUCIBLE_S3_ENDPOINT', async () => {
    // A port that was just free: nothing listens there.
    const probe = await startLocalS3Server([]);
    const endpoint = probe.endpoint;
    await probe.close();
    const store = s3BlobStore({ bucket: 'crucible', endpoint, forcePathStyle: true, accessKeyId: 'k', secretAccessKey: 's' });
    const err = await store.ping().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect((err as UnavailableError).message).toContain('CRUCIBLE_S3_ENDPOINT');
    await expect(store.has('0'.repeat(64))).rejects.toBeInstanceOf(UnavailableError);
    await store.close();
  });

  it('refuses incomplete settings with a clear error', () => {
    expect(() => s3BlobStore({ bucket: '' })).toThrow(ValidationError);
    expect(() => s3BlobStore({ bucket: 'b', accessKeyId: 'only-the-id' })).toThrow(/CRUCIBLE_S3_SECRET_ACCESS_KEY/);
    expect(() => s3BlobStore({ bucket: 'b', partSizeBytes: 1024 })).toThrow(ValidationError);
  });

  it('normalizes prefixes', () => {
    expect(normalizePrefix('')).toBe('');
    expect(normalizePrefix('crucible')).toBe('crucible/');
    expect(normalizePrefix('/crucible/')).toBe('crucible/');
    expect(normalizePrefix('a/b')).toBe('a/b/');
  });
});
