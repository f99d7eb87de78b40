/**
 * Opens a token shard and reads windows of it with positioned reads: only the header is read on open,
 * and each window costs one read of exactly its bytes, so shards of any size cost no memory up front.
 *
 * Reads are synchronous: a batch is a handful of small reads served from the page cache, cheaper than a
 * promise per row, and training runs in a worker, not on a request path.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { FormatError } from '../formats/format-error.js';
import { decodeTokenShardHeader, TOKEN_SHARD_HEADER_BYTES, tokenWidth, type TokenDtype } from './token-shard-format.js';

export class TokenShardReader {
  private fd: number | undefined;

  private constructor(
    readonly path: string,
    fd: number,
    readonly dtype: TokenDtype,
    readonly tokenCount: number,
    readonly vocabSize: number, // 0 when the writer did not record it
  ) {
    this.fd = fd;
  }

  /** Opens a shard, validating magic, version, dtype and that the size matches the token count. */
  static open(path: string): TokenShardReader {
    const fd = openSync(path, 'r');
    try {
      const size = fstatSync(fd).size;
      const header = new Uint8Array(TOKEN_SHARD_HEADER_BYTES);
      if (size >= TOKEN_SHARD_HEADER_BYTES) readFully(fd, header, 0, path); // else decode reports the short file
      const { dtype, tokenCount, vocabSize } = decodeTokenShardHeader(header, size, path);
      return new TokenShardReader(path, fd, dtype, tokenCount, vocabSize);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  /** Tokens [start, start + length) as a fresh typed array of the shard's dtype. */
  read(start: number, length: number): Uint16Array | Uint32Array {
    if (!Number.isInteger(start) || !Number.isInteger(length) || start < 0 || length < 0 || start + length > this.tokenCount) {
      throw new RangeError(`${this.path}: window [${start}, ${start + length}) is outside the shard's ${this.tokenCount} tokens`);
    }
    if (this.fd === undefined) throw new FormatError('bad_input', `${this.path}: the shard reader is closed`);
    const out = this.dtype === 'uint16' ? new Uint16Array(length) : new Uint32Array(length);
    readFully(this.fd, new Uint8Array(out.buffer), TOKEN_SHARD_HEADER_BYTES + start * tokenWidth(this.dtype), this.path);
    return out;
  }

  /** Closes the file; further reads throw. */
  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }
}

function readFully(fd: number, into: Uint8Array, position: number, path: string): void {
  let done = 0;
  while (done < into.length) {
    const n = readSync(fd, into, done, into.length - done, position + done);
    if (n === 0) {
      throw new FormatError('truncated', `${path}: file ended after ${position + done} bytes while reading ${into.length} at offset ${position}; was it truncated after opening?`);
    }
    done += n;
  }
}
