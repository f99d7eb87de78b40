/** Where a streaming pass delivers records: the validator, and optionally a JSONL file for DuckDB. */
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import type { DatasetRecord } from './validation/index.js';

export type RecordHandler = (record: DatasetRecord) => void;

/** Progress of a streaming pass: records seen and source bytes read. */
export type PassProgress = (records: number, bytesRead: number) => void;

/** A buffered JSONL writer with backpressure: `push` lines, `flush` after each batch. */
export class JsonlWriter {
  private readonly out: WriteStream;
  private pending: string[] = [];

  constructor(file: string) {
    this.out = createWriteStream(file, { highWaterMark: 1 << 20 });
  }

  push(line: string): void {
    this.pending.push(line);
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const text = this.pending.join('\n') + '\n';
    this.pending = [];
    if (!this.out.write(text)) await once(this.out, 'drain');
  }

  async close(): Promise<void> {
    await this.flush();
    this.out.end();
    await once(this.out, 'finish');
  }

  destroy(): void {
    this.out.destroy();
  }
}

/** The text field of a parsed record: strings as they are, missing/null as '', anything else as JSON. */
export function textOf(value: unknown): string {
  return typeof value === 'string' ? value : value === undefined || value === null ? '' : JSON.stringify(value);
}

/** A record's id in reports: the source's own `id` field when it is a string or number, else its row index. */
export function recordId(own: unknown, index: number): string | number {
  return typeof own === 'string' || typeof own === 'number' ? own : index;
}
