import { homePath, type Config } from '../config.js';
import type { BlobStore } from './blob-store.js';

/**
 * The blob store the configuration selects: files under the data dir, or an S3 bucket. Adapters are
 * imported here, on demand, so the embedded default never loads the AWS SDK (about 1 s of start-up).
 */
export async function createBlobStore(config: Config): Promise<BlobStore> {
  const { blobs } = config;
  if (blobs.driver === 'fs') {
    const { fsBlobStore } = await import('./fs-blob-store.js');
    return fsBlobStore(homePath(config, blobs.dir));
  }
  const { s3BlobStore } = await import('./s3-blob-store.js');
  const { bucket, region, endpoint, prefix, forcePathStyle, accessKeyId, secretAccessKey } = blobs.s3;
  return s3BlobStore({
    bucket: bucket ?? '',
    region,
    prefix,
    forcePathStyle,
    ...(endpoint ? { endpoint } : {}),
    ...(accessKeyId ? { accessKeyId } : {}),
    ...(secretAccessKey ? { secretAccessKey } : {}),
  });
}
