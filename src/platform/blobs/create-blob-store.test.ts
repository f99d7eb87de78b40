import { createHash } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigSchema, type ConfigInput } from '../config.js';
import { ValidationError } from '../errors.js';
import { createBlobStore } from './index.js';
import { startLocalS3Server } from './local-s3-server.js';

describe('createBlobStore', () => {
  let home: string;
  beforeEach(async () => {
    home = await mkdtemp(path.join(tmpdir(), 'crucible-home-'));
  });
  afterEach(async () => {
    await rm(home, { recursive: true, force: true });
  });
  const configOf = (input: ConfigInput) => ConfigSchema.parse({ home, ...input });

  it('defaults to files under <home>/<blobs.dir>', async () => {
    const store = await createBlobStore(configOf({ blobs: { dir: 'my-blobs' } }));
    expect(store.driver).toBe('fs');
    const data = Buffer.from('where does it go');
    const { sha256 } = await store.put(data);
    const file = path.join(home, 'my-blobs', 'sha256', sha256.slice(0, 2), sha256.slice(2, 4), sha256);
    expect(sha256).toBe(createHash('sha256').update(data).digest('hex'));
    expect((await stat(file)).size).toBe(data.length);
    await store.close();
  });

  it('selects S3 from the blobs.s3 settings', async () => {
    const server = await startLocalS3Server(['crucible-blobs']);
    try {
      const store = await createBlobStore(
        configOf({
          blobs: {
            driver: 's3',
            s3: {
              bucket: 'crucible-blobs',
              endpoint: server.endpoint,
              accessKeyId: server.accessKeyId,
              secretAccessKey: server.secretAccessKey,
            },
          },
        }),
      );
      expect(store.driver).toBe('s3');
      await store.ping();
      const ref = await store.put(Buffer.from('to the bucket'));
      expect(await store.has(ref.sha256)).toBe(true);
      await store.close();
    } finally {
      await server.close();
    }
  });

  it('refuses the S3 driver without a bucket, naming CRUCIBLE_S3_BUCKET', async () => {
    await expect(createBlobStore(configOf({ blobs: { driver: 's3' } }))).rejects.toThrow(ValidationError);
    await expect(createBlobStore(configOf({ blobs: { driver: 's3' } }))).rejects.toThrow(/CRUCIBLE_S3_BUCKET/);
  });
});
