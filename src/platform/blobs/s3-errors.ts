import { CrucibleError, UnavailableError } from '../errors.js';

/** Where a store points, for error messages that say which setting to fix. */
export interface S3Location {
  bucket: string;
  region: string;
  endpoint: string | undefined;
}

interface SdkError {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

const CREDENTIAL_ERRORS = new Set([
  'AccessDenied',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'InvalidToken',
  'CredentialsProviderError',
]);

// Failures below HTTP: nothing answered, or the connection broke.
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
]);

function isNetworkError(err: unknown): boolean {
  const { code, name } = (err ?? {}) as { code?: unknown; name?: unknown };
  return (typeof code === 'string' && NETWORK_CODES.has(code)) || name === 'TimeoutError' || name === 'RequestTimeout';
}

function statusOf(err: unknown): number | undefined {
  return (err as SdkError | null)?.$metadata?.httpStatusCode;
}

function nameOf(err: unknown): string | undefined {
  return (err as SdkError | null)?.name;
}

/** A missing key (not a missing bucket: that is the store being misconfigured). */
export function isS3NotFound(err: unknown): boolean {
  const name = nameOf(err);
  return name !== 'NoSuchBucket' && (name === 'NoSuchKey' || name === 'NotFound' || statusOf(err) === 404);
}

/**
 * Turns an SDK failure into UnavailableError naming the CRUCIBLE_S3_* setting to check when the
 * cause is the store's reachability or configuration; other errors pass through unchanged.
 */
export function s3Failure(err: unknown, at: S3Location): unknown {
  if (err instanceof CrucibleError) return err;
  const name = nameOf(err) ?? 'Error';
  const status = statusOf(err);
  const where = at.endpoint ?? `AWS S3 in region ${at.region}`;
  const details = { bucket: at.bucket, endpoint: where, s3Error: name };
  const because = (err as SdkError | null)?.message ?? name;
  if (name === 'NoSuchBucket') {
    return new UnavailableError(
      'blobs_unavailable',
      `The S3 bucket "${at.bucket}" does not exist at ${where}. Create it, or set CRUCIBLE_S3_BUCKET to an existing bucket.`,
      details,
      { cause: err },
    );
  }
  if (CREDENTIAL_ERRORS.has(name) || status === 401 || status === 403) {
    return new UnavailableError(
      'blobs_unavailable',
      `S3 at ${where} refused access to bucket "${at.bucket}" (${name}: ${because}). Check CRUCIBLE_S3_ACCESS_KEY_ID and CRUCIBLE_S3_SECRET_ACCESS_KEY (or the AWS credentials of this machine) and the bucket's permissions.`,
      details,
      { cause: err },
    );
  }
  if (isNetworkError(err) || (status !== undefined && status >= 500)) {
    return new UnavailableError(
      'blobs_unavailable',
      `Cannot reach the S3 store at ${where} for bucket "${at.bucket}" (${name}: ${because}). Check CRUCIBLE_S3_ENDPOINT, CRUCIBLE_S3_REGION and the network, then retry.`,
      details,
      { cause: err },
    );
  }
  return err;
}
