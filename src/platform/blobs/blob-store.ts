import type { Readable } from 'node:stream';

/** A stored blob: its content address and its length in bytes. */
export interface BlobRef {
  sha256: string;
  size: number;
}

/** Bytes to store: a Node stream, any async iterable of byte chunks, or bytes already in memory. */
export type BlobSource = Readable | AsyncIterable<Uint8Array> | Uint8Array;

export interface PutOptions {
  /** Refuse (PayloadTooLargeError 'blob_too_large') as soon as more than this many bytes arrive. */
  maxBytes?: number;
  /** Refuse (ValidationError 'blob_checksum_mismatch') when the bytes hash to something else. */
  expectedSha256?: string;
  /** Aborting cancels the write: the put rejects with `signal.reason` and stores nothing. */
  signal?: AbortSignal;
}

/**
 * A byte range, both ends inclusive (as in HTTP `Range: bytes=start-end` and fs.createReadStream).
 * `end` past the last byte is clamped; a `start` at or past the end yields an empty stream.
 */
export interface GetOptions {
  start?: number;
  end?: number;
}

/**
 * The content-addressed blob store port. A blob's id is the sha256 of its bytes (64 lowercase hex);
 * blobs are immutable, so the same content always lands on the same ref and is stored once.
 */
export interface BlobStore {
  readonly driver: 'fs' | 's3';
  /** Streams the bytes in, hashing as they pass; the blob becomes visible only once complete (atomic). Same content → same ref, stored once. */
  put(source: BlobSource, options?: PutOptions): Promise<BlobRef>;
  /** A stream of the blob's bytes; NotFoundError('blob_not_found') when absent. Supports an optional byte range. */
  get(sha256: string, options?: GetOptions): Promise<Readable>;
  /** The blob's ref, or null when it is absent. */
  stat(sha256: string): Promise<BlobRef | null>;
  /** Whether the blob is stored. */
  has(sha256: string): Promise<boolean>;
  /** Removes the blob; removing an absent blob is not an error. */
  delete(sha256: string): Promise<void>;
  /** For /readyz: throws UnavailableError when the store cannot be reached/written. */
  ping(): Promise<void>;
  /** Releases connections and handles; the store is not used afterwards. */
  close(): Promise<void>;
}
