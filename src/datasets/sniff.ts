/** Cheap checks on a file's first bytes: empty, or binary data where text was promised. */
import { open } from 'node:fs/promises';
import { ValidationError } from '../platform/errors.js';
import type { DatasetFormat } from './schema.js';

const TEXT_FORMATS: ReadonlySet<DatasetFormat> = new Set(['jsonl', 'csv', 'tsv', 'text']);

/** Throws `dataset_empty` for an empty file and `dataset_binary_input` for binary bytes in a text format. */
export async function sniffFile(file: string, format: DatasetFormat, label: string): Promise<void> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(64 * 1024);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    const bytes = head.subarray(0, bytesRead);
    // A whitespace-only CSV is left to the CSV check, which says that it has no columns.
    if (bytesRead === 0 || ((format === 'jsonl' || format === 'text') && bytes.toString('utf8').trim() === '')) {
      throw new ValidationError('dataset_empty', `${label} is empty: there is nothing to ingest. Check that you picked the right file.`, { file: label });
    }
    if (!TEXT_FORMATS.has(format)) return;
    const nul = bytes.indexOf(0);
    if (nul >= 0 || controlShare(bytes) > 0.1) {
      throw new ValidationError(
        'dataset_binary_input',
        `${label} looks like binary data${nul >= 0 ? ` (a NUL byte at offset ${nul})` : ''}, not ${format} text. Pass the file you meant, or the right --format (parquet, zip).`,
        { file: label, format },
      );
    }
  } finally {
    await handle.close();
  }
}

/** Share of C0 control bytes other than tab, LF, CR and FF. */
function controlShare(bytes: Buffer): number {
  let control = 0;
  for (const b of bytes) if (b < 32 && b !== 9 && b !== 10 && b !== 13 && b !== 12) control++;
  return bytes.length === 0 ? 0 : control / bytes.length;
}

/** The format a file name suggests, or undefined. */
export function formatFromName(name: string): DatasetFormat | undefined {
  const lower = name.toLowerCase().replace(/\.(gz|zst)$/, '');
  if (/\.(jsonl|ndjson)$/.test(lower)) return 'jsonl';
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.tsv') || lower.endsWith('.tab')) return 'tsv';
  if (lower.endsWith('.parquet')) return 'parquet';
  if (/\.(txt|md|text)$/.test(lower)) return 'text';
  if (lower.endsWith('.zip')) return 'zip';
  return undefined;
}
