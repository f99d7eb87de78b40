/**
 * Plain text sources, turned into a JSONL file for DuckDB while the validator sees each record:
 * a text file gives one record per non-empty line; a folder or a .zip of .txt/.md files gives one
 * record per file (`{path, text}`), in path order.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { ValidationError } from '../platform/errors.js';
import { readLineBatches } from './lines.js';
import { JsonlWriter, type PassProgress, type RecordHandler } from './record-sink.js';
import { listZipEntries, readZipEntry } from './zip.js';

export interface TextPassOptions {
  label: string;
  textField: string;
  out: string;
  onRecord: RecordHandler;
  onProgress?: PassProgress;
  afterBatch?: () => Promise<void>;
  signal?: AbortSignal;
}

const DOCUMENT = /\.(txt|md|markdown|text)$/i;

/** One record per non-empty line. */
export async function scanTextLines(file: string, options: TextPassOptions): Promise<number> {
  const writer = new JsonlWriter(options.out);
  let records = 0;
  try {
    for await (const batch of readLineBatches(file, { signal: options.signal, label: options.label })) {
      for (const line of batch.lines) {
        if (line.length === 0) continue;
        options.onRecord({ id: records++, text: line });
        writer.push(JSON.stringify({ [options.textField]: line }));
      }
      await writer.flush();
      await options.afterBatch?.();
      options.onProgress?.(records, batch.bytesRead);
    }
    await writer.close();
  } catch (err) {
    writer.destroy();
    throw err;
  }
  return records;
}

/** One record per .txt/.md file of a zip archive. */
export async function scanZip(file: string, options: TextPassOptions): Promise<number> {
  const entries = (await listZipEntries(file, options.label)).filter((e) => DOCUMENT.test(e.name));
  entries.sort((a, b) => a.name.localeCompare(b.name));
  return writeDocuments(
    entries.map((e) => ({ path: e.name, read: async () => (await readZipEntry(file, e, options.label)).toString('utf8') })),
    options,
  );
}

/** One record per .txt/.md file under a folder (server-side paths only). */
export async function scanFolder(dir: string, options: TextPassOptions): Promise<number> {
  const files = (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((d) => d.isFile() && DOCUMENT.test(d.name))
    .map((d) => path.relative(dir, path.join(d.parentPath, d.name)))
    .sort();
  return writeDocuments(files.map((p) => ({ path: p, read: () => readFile(path.join(dir, p), 'utf8') })), options);
}

async function writeDocuments(docs: Array<{ path: string; read(): Promise<string> }>, options: TextPassOptions): Promise<number> {
  if (docs.length === 0) {
    throw new ValidationError('dataset_empty', `${options.label} holds no .txt or .md files: there is nothing to ingest.`, { file: options.label });
  }
  const writer = new JsonlWriter(options.out);
  let records = 0;
  let bytes = 0;
  try {
    for (const doc of docs) {
      options.signal?.throwIfAborted();
      const text = await doc.read();
      bytes += Buffer.byteLength(text);
      options.onRecord({ id: records++, text, fields: { path: doc.path } });
      writer.push(JSON.stringify({ path: doc.path, [options.textField]: text }));
      await writer.flush();
      await options.afterBatch?.();
      options.onProgress?.(records, bytes);
    }
    await writer.close();
  } catch (err) {
    writer.destroy();
    throw err;
  }
  return records;
}
