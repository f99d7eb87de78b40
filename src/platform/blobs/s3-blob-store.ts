import { randomUUID } from 'node:crypto';
import { addAbortSignal, pipeline, Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { NotFoundError, ValidationError } from '../errors.js';
import type { BlobRef, BlobStore, BlobSource, GetOptions, PutOptions } from './blob-store.js';
import { HashingStream } from './hashing-stream.js';
import { checkPutOptions, checkRange, checksumMismatch, clampRange } from './options.js';
import { copyObject } from './s3-copy.js';
import { isS3NotFound, s3Failure, type S3Location } from './s3-errors.js';
import { assertSha256 } from './sha256.js';
import { emptyStream, toReadable } from './streams.js';

export interface S3BlobStoreOptions {
  bucket: string;
  region?: string;
  /** An S3-compatible endpoint (MinIO, Ceph, R2, …); absent means AWS itself. */
  endpoint?: string;
  /** Keys live under this prefix; a missing trailing '/' is added. */
  prefix?: string;
  forcePathStyle?: boolean;
  /** Both or neither; neither uses the AWS default credentials chain. */
  accessKeyId?: string;
  secretAccessKey?: string;
  /**
   * Multipart part size for uploads (S3 minimum 5 MiB; default 8 MiB). Memory per put is about
   * three parts. S3 allows 10,000 parts, so a larger maxBytes grows the part size to fit, and a put
   * without maxBytes may carry at most 10,000 parts (80 GB by default).
   */
  partSizeBytes?: number;
}

const MIN_PART_BYTES = 5 * 1024 ** 2;
const DEFAULT_PART_BYTES = 8 * 1024 ** 2;
const MAX_PARTS = 10_000;
const UPLOAD_CONCURRENCY = 2;

/**
 * The team-mode blob store on S3 or any S3-compatible server: `<prefix>sha256/<hash>`.
 * The key depends on the hash, which is known only after the last byte, so a put streams to
 * `<prefix>tmp/<uuid>` (multipart when large) while hashing, then copies server-side to the final
 * key and deletes the temp. A failed or aborted put leaves no visible blob. Give the bucket a
 * lifecycle rule that expires `<prefix>tmp/` and aborts incomplete multipart uploads after a day,
 * to collect what a crashed process could not clean up.
 */
export function s3BlobStore(options: S3BlobStoreOptions): BlobStore {
  const { bucket } = options;
  if (!bucket) throw new ValidationError('blobs_s3_bucket_missing', 'The S3 blob store needs a bucket: set CRUCIBLE_S3_BUCKET.');
  if (Boolean(options.accessKeyId) !== Boolean(options.secretAccessKey)) {
    throw new ValidationError(
      'blobs_s3_credentials_incomplete',
      'Set both CRUCIBLE_S3_ACCESS_KEY_ID and CRUCIBLE_S3_SECRET_ACCESS_KEY, or neither to use the AWS default credentials chain.',
    );
  }
  const partSize = options.partSizeBytes ?? DEFAULT_PART_BYTES;
  if (!Number.isSafeInteger(partSize) || partSize < MIN_PART_BYTES) {
    throw new ValidationError('blobs_s3_part_size_invalid', `partSizeBytes must be an integer of at least ${MIN_PART_BYTES} (S3's minimum part size).`);
  }
  const at: S3Location = { bucket, region: options.region ?? 'us-east-1', endpoint: options.endpoint };
  const prefix = normalizePrefix(options.prefix ?? '');
  const blobKey = (sha256: string) => `${prefix}sha256/${sha256}`;
  const tempKey = () => `${prefix}tmp/${randomUUID()}`;

  const client = new S3Client({
    region: at.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    forcePathStyle: options.forcePathStyle ?? false,
    ...(options.accessKeyId && options.secretAccessKey
      ? { credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey } }
      : {}),
    // Many S3-compatible servers reject the CRC checksums recent SDKs send by default.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // Fail /readyz fast on a dead endpoint; no request timeout, as a part upload may be slow.
    requestHandler: { connectionTimeout: 5_000 },
  });

  async function removeQuietly(key: string): Promise<void> {
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })).catch(() => undefined);
  }

  async function statBlob(sha256: string): Promise<BlobRef | null> {
    assertSha256(sha256);
    try {
      const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: blobKey(sha256) }));
      return { sha256, size: head.ContentLength ?? 0 };
    } catch (err) {
      // NOTE: HEAD answers a missing bucket with a bare 404 too; ping() is what reports that.
      if (isS3NotFound(err)) return null;
      throw s3Failure(err, at);
    }
  }

  /** Streams `source` to a temp key while hashing; the caller owns (and deletes) the temp key. */
  async function uploadTemp(source: BlobSource, key: string, putOptions: PutOptions): Promise<BlobRef> {
    const { signal } = putOptions;
    // S3 allows 10,000 parts: without a caller's limit, refuse cleanly past what the part size can carry.
    const maxBytes = putOptions.maxBytes ?? partSize * MAX_PARTS;
    const hasher = new HashingStream(maxBytes);
    // The source's own error (too large, client gone, aborted) is the one to report, not the
    // upload's reaction to it, which on some servers is a failed AbortMultipartUpload.
    // Listening before the Upload exists makes this run before the upload sees the same error.
    let sourceError: unknown;
    const remember = (err: unknown) => {
      sourceError ??= err;
    };
    hasher.on('error', remember);
    pipeline(toReadable(source), hasher, (err) => err && remember(err));
    if (signal) addAbortSignal(signal, hasher);
    const partBytes = Math.max(partSize, Math.ceil(maxBytes / MAX_PARTS));
    const upload = new Upload({ client, params: { Bucket: bucket, Key: key, Body: hasher }, partSize: partBytes, queueSize: UPLOAD_CONCURRENCY });
    try {
      await upload.done();
    } catch (err) {
      hasher.destroy(); // stop reading the source when the upload failed first
      if (signal?.aborted) throw signal.reason;
      throw sourceError ?? s3Failure(err, at);
    }
    signal?.throwIfAborted();
    return { sha256: hasher.digest(), size: hasher.bytes };
  }

  return {
    driver: 's3',

    async put(source: BlobSource, putOptions?: PutOptions): Promise<BlobRef> {
      const checked = checkPutOptions(putOptions);
      checked.signal?.throwIfAborted();
      const temp = tempKey();
      try {
        const ref = await uploadTemp(source, temp, checked);
        if (checked.expectedSha256 !== undefined && ref.sha256 !== checked.expectedSha256) {
          throw checksumMismatch(checked.expectedSha256, ref.sha256);
        }
        checked.signal?.throwIfAborted();
        if ((await statBlob(ref.sha256)) === null) {
          await copyObject(client, bucket, temp, blobKey(ref.sha256), ref.size).catch((err: unknown) => {
            throw s3Failure(err, at);
          });
        }
        return ref;
      } finally {
        await removeQuietly(temp);
      }
    },

    async get(sha256: string, getOptions?: GetOptions): Promise<Readable> {
      assertSha256(sha256);
      const range = checkRange(getOptions);
      let Range: string | undefined;
      if (range.start > 0 || range.end !== undefined) {
        // Servers disagree at the edges (an empty object, a start past the end): clamp with the
        // real size first, and ask only for bytes that exist. Costs a HEAD per ranged read.
        const ref = await statBlob(sha256);
        if (ref === null) throw notFound(sha256);
        const clamped = clampRange(range, ref.size);
        if (clamped === null) return emptyStream();
        Range = `bytes=${clamped.start}-${clamped.end}`;
      }
      try {
        const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: blobKey(sha256), Range }));
        if (out.Body instanceof Readable) return out.Body;
        if (out.Body === undefined) return emptyStream();
        return Readable.fromWeb(out.Body.transformToWebStream() as Parameters<typeof Readable.fromWeb>[0]);
      } catch (err) {
        if (isS3NotFound(err)) throw notFound(sha256);
        throw s3Failure(err, at);
      }
    },

    stat: statBlob,

    async has(sha256: string): Promise<boolean> {
      return (await statBlob(sha256)) !== null;
    },

    async delete(sha256: string): Promise<void> {
      assertSha256(sha256);
      try {
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: blobKey(sha256) }));
      } catch (err) {
        if (!isS3NotFound(err)) throw s3Failure(err, at);
      }
    },

    async ping(): Promise<void> {
      // A write, not a HEAD of the bucket: read-only credentials would pass a HEAD and fail every upload.
      const probe = `${prefix}tmp/ping-${randomUUID()}`;
      try {
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: probe, Body: new Uint8Array(0) }));
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: probe }));
      } catch (err) {
        throw s3Failure(err, at);
      }
    },

    async close(): Promise<void> {
      client.destroy();
    },
  };
}

function notFound(sha256: string): NotFoundError {
  return new NotFoundError('blob_not_found', `Blob ${sha256} does not exist: it was never stored or has been deleted.`, { sha256 });
}

/** '' stays ''; 'crucible' and '/crucible/' become 'crucible/'. */
export function normalizePrefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+/, '');
  return trimmed === '' || trimmed.endsWith('/') ? trimmed : `${trimmed}/`;
}
