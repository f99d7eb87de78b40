/** The blob store port: content-addressed bytes (datasets, checkpoints, models), on disk or on S3. */
export type { BlobRef, BlobSource, BlobStore, GetOptions, PutOptions } from './blob-store.js';
export { createBlobStore } from './create-blob-store.js';
export { fsBlobStore, type FsBlobStoreOptions } from './fs-blob-store.js';
export { s3BlobStore, type S3BlobStoreOptions } from './s3-blob-store.js';
export { assertSha256, isSha256 } from './sha256.js';
