import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { PayloadTooLargeError, ValidationError } from '../errors.js';

/**
 * A pass-through that hashes and counts the bytes flowing through it, and fails the stream the
 * moment more than `maxBytes` have passed, so an oversized upload stops early instead of filling a disk.
 */
export class HashingStream extends Transform {
  readonly #hash: Hash = createHash('sha256');
  readonly #maxBytes: number | undefined;
  #bytes = 0;

  constructor(maxBytes?: number) {
    super();
    this.#maxBytes = maxBytes;
  }

  /** Bytes seen so far. */
  get bytes(): number {
    return this.#bytes;
  }

  /** The sha256 of everything seen, as lowercase hex; call once, after the stream has ended. */
  digest(): string {
    return this.#hash.digest('hex');
  }

  override _transform(chunk: unknown, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (!(chunk instanceof Uint8Array)) {
      callback(new ValidationError('blob_source_invalid', `A blob source must yield bytes (Buffer or Uint8Array), got ${typeof chunk}.`));
      return;
    }
    this.#bytes += chunk.byteLength;
    if (this.#maxBytes !== undefined && this.#bytes > this.#maxBytes) {
      callback(
        new PayloadTooLargeError(
          'blob_too_large',
          `The data is larger than the limit of ${this.#maxBytes} bytes, so nothing was stored. Send less data, or raise the limit that applies to this upload.`,
          { maxBytes: this.#maxBytes },
        ),
      );
      return;
    }
    this.#hash.update(chunk);
    callback(null, chunk);
  }
}
