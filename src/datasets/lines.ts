/**
 * Streaming line reader: yields batches of decoded lines with the 1-based number of the first, so
 * the per-line cost is a string split, not a promise; or as undecoded chunks of whole lines, for
 * another thread to decode. A '\n' byte never occurs inside a multi-byte UTF-8 character, so
 * cutting the bytes at the last '\n' of a chunk is safe.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { ValidationError } from '../platform/errors.js';

export interface LineBatch {
  /** 1-based line number of lines[0]. */
  firstLine: number;
  lines: string[];
  /** Bytes of the file consumed so far (for progress). */
  bytesRead: number;
}

/** DuckDB's read_json is given the same bound (maximum_object_size in convert.ts). */
export const MAX_LINE_BYTES = 16 * 1024 * 1024;

export interface LineChunk {
  /** Whole lines, '\n'-separated, without the last line's '\n'. */
  bytes: Buffer;
  /** Bytes of the file consumed so far (for progress). */
  bytesRead: number;
}

/**
 * A UTF-8 text file as chunks of whole lines (about 1 MB each), undecoded: a consumer on another
 * thread decodes and splits them itself (splitLines gives the lines readLineBatches yields). A
 * line longer than 16 MB is refused.
 */
export async function* readLineChunks(file: string, options: { signal?: AbortSignal; label?: string } = {}): AsyncGenerator<LineChunk> {
  let carry: Buffer = Buffer.alloc(0);
  let bytesRead = 0;
  let line = 1;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    options.signal?.throwIfAborted();
    bytesRead += chunk.length;
    const cut = chunk.lastIndexOf(10);
    if (cut < 0) {
      carry = carry.length === 0 ? chunk : Buffer.concat([carry, chunk]);
      if (carry.length > MAX_LINE_BYTES) throw lineTooLong(options.label ?? file, line);
      continue;
    }
    const head = carry.length === 0 ? chunk.subarray(0, cut) : Buffer.concat([carry, chunk.subarray(0, cut)]);
    carry = Buffer.from(chunk.subarray(cut + 1));
    line += countLines(head);
    yield { bytes: head, bytesRead };
  }
  if (carry.length > 0) yield { bytes: carry, bytesRead };
}

function countLines(bytes: Buffer): number {
  let n = 1;
  for (let i = bytes.indexOf(10); i >= 0; i = bytes.indexOf(10, i + 1)) n++;
  return n;
}

/**
 * The lines of a chunk, without their '\r'. Each line is decoded on its own: JSON.parse of a line
 * sliced out of one decoded chunk costs about 3× as much (measured on the bench corpus), and the
 * chunk's string stays alive as long as any line does.
 */
export function splitLines(bytes: Uint8Array): string[] {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lines: string[] = [];
  for (let start = 0; ; ) {
    const newline = buf.indexOf(10, start);
    const end = newline < 0 ? buf.length : newline;
    lines.push(buf.toString('utf8', start, end > start && buf[end - 1] === 13 ? end - 1 : end));
    if (newline < 0) return lines;
    start = newline + 1;
  }
}

/** Lines of a UTF-8 text file, without their '\n' (and '\r'). A line longer than 16 MB is refused. */
export async function* readLineBatches(file: string, options: { signal?: AbortSignal; label?: string } = {}): AsyncGenerator<LineBatch> {
  let line = 1;
  for await (const chunk of readLineChunks(file, options)) {
    const lines = splitLines(chunk.bytes);
    yield { firstLine: line, lines, bytesRead: chunk.bytesRead };
    line += lines.length;
  }
}

export function lineTooLong(label: string, line: number): ValidationError {
  return new ValidationError('dataset_line_too_long', `Line ${line.toLocaleString('en-US')} of ${label} is longer than 16 MB. Is this really a line-oriented file? Check --format.`, { line });
}

const SAMPLES = 16;
const SAMPLE_BYTES = 64 << 10;

/**
 * The mean length of a file's lines in bytes, from 16 windows of 64 KB spread over the file (the
 * whole file when it is smaller): an estimate that a file sorted by length, or with a different
 * head, does not fool as the first megabyte alone would.
 */
export async function meanLineBytes(file: string): Promise<number> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const buffer = Buffer.alloc(SAMPLE_BYTES);
    let bytes = 0;
    let newlines = 0;
    const windows = size <= SAMPLES * SAMPLE_BYTES ? Math.ceil(size / SAMPLE_BYTES) : SAMPLES;
    for (let w = 0; w < windows; w++) {
      const at = windows === SAMPLES ? Math.floor((w * (size - SAMPLE_BYTES)) / (SAMPLES - 1)) : w * SAMPLE_BYTES;
      const { bytesRead } = await handle.read(buffer, 0, SAMPLE_BYTES, at);
      bytes += bytesRead;
      for (let i = buffer.indexOf(10); i >= 0 && i < bytesRead; i = buffer.indexOf(10, i + 1)) newlines++;
    }
    return bytes / Math.max(1, newlines);
  } finally {
    await handle.close();
  }
}
