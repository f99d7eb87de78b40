import type { Readable } from 'node:stream';
import { requireRole, type Actor } from '../auth/index.js';
import type { BlobRef, BlobStore } from '../platform/blobs/index.js';
import { PayloadTooLargeError } from '../platform/errors.js';

/**
 * Streaming uploads into the blob store: bytes flow from the socket through a hash into a temp file
 * (or S3 multipart upload) and become a blob only when complete. Other resources (datasets, models)
 * refer to what was uploaded by its sha256.
 */
export class UploadService {
  constructor(
    private readonly blobs: BlobStore,
    private readonly limitBytes: number,
  ) {}

  /** Stores the stream; editor or admin. `declaredBytes` (Content-Length) lets a too-large upload fail before any byte is read. */
  async upload(actor: Actor, body: Readable, options: { declaredBytes?: number; expectedSha256?: string } = {}): Promise<BlobRef> {
    requireRole(actor, 'editor', 'Uploading files');
    if (options.declaredBytes !== undefined && options.declaredBytes > this.limitBytes) {
      body.resume(); // let the connection drain instead of stalling
      throw this.tooLarge();
    }
    return this.blobs.put(body, { maxBytes: this.limitBytes, expectedSha256: options.expectedSha256 });
  }

  private tooLarge(): PayloadTooLargeError {
    return new PayloadTooLargeError(
      'upload_too_large',
      `Uploads are limited to ${this.limitBytes} bytes (server.uploadLimitBytes, CRUCIBLE_UPLOAD_LIMIT_BYTES). Split the file or raise the limit.`,
      { limit: this.limitBytes },
    );
  }
}
