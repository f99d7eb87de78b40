import { ValidationError } from '../errors.js';
import type { GetOptions, PutOptions } from './blob-store.js';
import { assertSha256 } from './sha256.js';

/** An inclusive byte range whose `end`, when absent, means "to the last byte". */
export interface ByteRange {
  start: number;
  end: number | undefined;
}

function isOffset(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Validates put options up front, so a bad call fails before any byte is read. */
export function checkPutOptions(options: PutOptions = {}): PutOptions {
  const { maxBytes, expectedSha256 } = options;
  if (maxBytes !== undefined && !isOffset(maxBytes)) {
    throw new ValidationError('blob_max_bytes_invalid', `maxBytes must be a non-negative integer, got ${String(maxBytes)}.`);
  }
  if (expectedSha256 !== undefined) assertSha256(expectedSha256, 'expectedSha256');
  return options;
}

/** Validates a range request: offsets are non-negative integers and `end` (inclusive) is not before `start`. */
export function checkRange(options: GetOptions = {}): ByteRange {
  const { start = 0, end } = options;
  if (!isOffset(start) || (end !== undefined && !isOffset(end))) {
    throw new ValidationError(
      'blob_range_invalid',
      `A byte range needs non-negative integer offsets, got start=${String(options.start)} end=${String(end)}.`,
    );
  }
  if (end !== undefined && end < start) {
    throw new ValidationError('blob_range_invalid', `A byte range's end (inclusive) cannot come before its start, got start=${start} end=${end}.`);
  }
  return { start, end };
}

/** The range within a blob of `size` bytes, with `end` clamped to the last byte; null when nothing is left to read. */
export function clampRange(range: ByteRange, size: number): { start: number; end: number } | null {
  if (range.start >= size) return null;
  return { start: range.start, end: Math.min(range.end ?? size - 1, size - 1) };
}

/** The blob-checksum-mismatch error, shared by every adapter. */
export function checksumMismatch(expected: string, actual: string): ValidationError {
  return new ValidationError(
    'blob_checksum_mismatch',
    `The data hashes to sha256 ${actual}, not the expected ${expected}, so nothing was stored. The upload was probably corrupted or truncated: send it again.`,
    { expected, actual },
  );
}
