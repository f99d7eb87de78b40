/**
 * Streams token ids into a shard file. Tokens are buffered in chunks and appended to a temp file; the
 * final header (with the token count) is written at finalize, then the file is fsynced and renamed into
 * place, so a reader never sees a half-written shard under its final name.
 */
import { randomUUID } from 'node:crypto';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { FormatError } from '../formats/format-error.js';
import { dtypeForVocab, encodeTokenShardHeader, TOKEN_SHARD_HEADER_BYTES, tokenWidth, type TokenDtype } from './token-shard-format.js';

/** What a finished shard holds. */
export interface TokenShardInfo {
  path: string;
  dtype: TokenDtype;
  tokenCount: number;
  vocabSize: number;
}

const CHUNK_TOKENS = 1 << 20;

export class TokenShardWriter {
  private readonly chunk: Uint16Array | Uint32Array;
  private filled = 0;
  private written = 0; // tokens already in the file
  private state: 'open' | 'finalized' | 'aborted' = 'open';

  private constructor(
    readonly path: string,
    readonly dtype: TokenDtype,
    readonly vocabSize: number,
    private readonly tempPath: string,
    private readonly file: FileHandle,
  ) {
    this.chunk = dtype === 'uint16' ? new Uint16Array(CHUNK_TOKENS) : new Uint32Array(CHUNK_TOKENS);
  }

  /** Starts a shard for a vocabulary; ids must be < vocabSize. uint16 storage when vocabSize ≤ 65,536. */
  static async create(path: string, options: { vocabSize: number }): Promise<TokenShardWriter> {
    const { vocabSize } = options;
    if (!Number.isInteger(vocabSize) || vocabSize <= 0 || vocabSize > 2 ** 32) {
      throw new FormatError('bad_input', `token shard ${path}: vocabSize must be an integer in [1, 2^32], got ${vocabSize}`);
    }
    const tempPath = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomUUID()}`);
    const file = await open(tempPath, 'wx');
    // Placeholder header: the real one (with the count) is written by finalize().
    await file.write(new Uint8Array(TOKEN_SHARD_HEADER_BYTES), 0, TOKEN_SHARD_HEADER_BYTES, 0);
    // A vocab of exactly 2^32 cannot be recorded in the u32 field: store 0 ("not recorded").
    return new TokenShardWriter(path, dtypeForVocab(vocabSize), vocabSize, tempPath, file);
  }

  /** Tokens appended so far. */
  get tokenCount(): number {
    return this.written + this.filled;
  }

  /** Appends token ids, checking each is an integer in [0, vocabSize). */
  async append(tokens: ArrayLike<number>): Promise<void> {
    this.assertOpen('append');
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!;
      if (!(Number.isInteger(t) && t >= 0 && t < this.vocabSize)) {
        throw new FormatError(
          'bad_input',
          `token shard ${this.path}: token ${t} at position ${this.tokenCount} is not an id in [0, ${this.vocabSize}); check the tokenizer's vocab size`,
        );
      }
      this.chunk[this.filled++] = t;
      if (this.filled === CHUNK_TOKENS) await this.flush();
    }
  }

  /** Writes the header, fsyncs and renames the shard into place. */
  async finalize(): Promise<TokenShardInfo> {
    this.assertOpen('finalize');
    try {
      await this.flush();
      const header = encodeTokenShardHeader({ dtype: this.dtype, tokenCount: this.written, vocabSize: this.vocabSize < 2 ** 32 ? this.vocabSize : 0 });
      await this.file.write(header, 0, header.length, 0);
      await this.file.sync();
      await this.file.close();
      await rename(this.tempPath, this.path);
      this.state = 'finalized';
    } catch (err) {
      await this.abort();
      throw err;
    }
    return { path: this.path, dtype: this.dtype, tokenCount: this.written, vocabSize: this.vocabSize };
  }

  /** Discards the shard: closes and removes the temp file. Safe to call more than once. */
  async abort(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'aborted';
    await this.file.close().catch(() => undefined);
    await rm(this.tempPath, { force: true });
  }

  private async flush(): Promise<void> {
    if (this.filled === 0) return;
    const width = tokenWidth(this.dtype);
    const bytes = new Uint8Array(this.chunk.buffer, 0, this.filled * width);
    let done = 0;
    while (done < bytes.length) {
      const position = TOKEN_SHARD_HEADER_BYTES + this.written * width + done;
      done += (await this.file.write(bytes, done, bytes.length - done, position)).bytesWritten;
    }
    this.written += this.filled;
    this.filled = 0;
  }

  private assertOpen(what: string): void {
    if (this.state !== 'open') throw new FormatError('bad_input', `token shard ${this.path}: cannot ${what}, the writer is ${this.state}`);
  }
}

/** Writes a whole shard in one call (tests, small corpora). */
export async function writeTokenShard(path: string, tokens: ArrayLike<number>, options: { vocabSize: number }): Promise<TokenShardInfo> {
  const writer = await TokenShardWriter.create(path, options);
  try {
    await writer.append(tokens);
  } catch (err) {
    await writer.abort();
    throw err;
  }
  return writer.finalize();
}
