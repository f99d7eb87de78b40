/** The blob store port: content-addressed bytes (datasets, checkpoints, models), on disk or on S3. */
export type { BlobRef, BlobSource, BlobStore, GetOptions, PutOptions } from './blob-store.js';
export { createBlobStore } from './create-blob-store.js';
// Adapters are reached through createBlobStore (which imports them on demand) or their own modules.
export type { FsBlobStoreOptions } from './fs-blob-store.js';
export type { S3BlobStoreOptions } from './s3-blob-store.js';
export { assertSha256, isSha256 } from './sha256.js';
