import { homePath, type Config } from '../config.js';
import type { BlobStore } from './blob-store.js';
import { fsBlobStore } from './fs-blob-store.js';
import { s3BlobStore } from './s3-blob-store.js';

/** The blob store the configuration selects: files under the data dir, or an S3 bucket. */
export function createBlobStore(config: Config): BlobStore {
  const { blobs } = config;
  if (blobs.driver === 'fs') return fsBlobStore(homePath(config, blobs.dir));
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
