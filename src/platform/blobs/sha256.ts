import { ValidationError } from '../errors.js';

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Whether `value` is a sha256 digest written as 64 lowercase hex characters. */
export function isSha256(value: unknown): value is string {
  return typeof value === 'string' && SHA256_HEX.test(value);
}

/**
 * Throws ValidationError('blob_sha256_invalid') unless `value` is 64 lowercase hex characters.
 * Every adapter calls this before building a path or key from an id, so a crafted id
 * (`../../etc/passwd`, `a/b`) never reaches the file system or the bucket.
 */
export function assertSha256(value: unknown, name = 'sha256'): asserts value is string {
  if (isSha256(value)) return;
  const shown = typeof value === 'string' ? JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value) : typeof value;
  throw new ValidationError(
    'blob_sha256_invalid',
    `${name} must be a sha256 digest written as 64 lowercase hex characters, got ${shown}.`,
    { argument: name },
  );
}
