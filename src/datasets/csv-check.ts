/**
 * A structural pass over CSV/TSV (RFC 4180 quoting) before DuckDB reads it: a header with at least
 * one column, and every row with as many fields as the header. DuckDB's sniffer can quietly guess a
 * different shape for a ragged file, so the shape is checked here, with line numbers.
 */
import { createReadStream } from 'node:fs';
import { ValidationError } from '../platform/errors.js';

export interface CsvShape {
  columns: number;
  rows: number;
}

export async function checkCsvShape(file: string, delimiter: ',' | '\t', label: string, signal?: AbortSignal): Promise<CsvShape> {
  const DELIM = delimiter.charCodeAt(0);
  let inQuotes = false;
  let fields = 1;
  let fieldHasContent = false;
  let recordHasContent = false;
  let line = 1;
  let recordLine = 1;
  let header = -1;
  let rows = 0;

  const endRecord = () => {
    if (!recordHasContent && fields === 1) return; // a blank line
    if (header < 0) {
      header = fields;
    } else if (fields !== header) {
      throw new ValidationError(
        'dataset_csv_ragged',
        `Row ${(rows + 1).toLocaleString('en-US')} of ${label} (line ${recordLine.toLocaleString('en-US')}) has ${fields} fields, but the header has ${header}. Fix the row (quote fields that contain "${delimiter === '\t' ? '\\t' : delimiter}"), or check --format.`,
        { line: recordLine, fields, expected: header },
      );
    } else {
      rows++;
    }
  };

  for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 }) as AsyncIterable<string>) {
    signal?.throwIfAborted();
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      if (c === 10) line++;
      if (inQuotes) {
        if (c === 34) {
          if (chunk.charCodeAt(i + 1) === 34) i++;
          else inQuotes = false; // a quote split across chunks reads as close-then-open: same field count
        }
        continue;
      }
      if (c === 34 && !fieldHasContent) {
        inQuotes = true;
        fieldHasContent = recordHasContent = true;
      } else if (c === DELIM) {
        fields++;
        fieldHasContent = false;
        recordHasContent = true;
      } else if (c === 10) {
        endRecord();
        fields = 1;
        fieldHasContent = recordHasContent = false;
        recordLine = line;
      } else if (c !== 13) {
        fieldHasContent = recordHasContent = true;
      }
    }
  }
  if (inQuotes) throw new ValidationError('dataset_csv_unclosed_quote', `${label} ends inside a quoted field opened on or after line ${recordLine}. Close the quote.`, { line: recordLine });
  endRecord();
  if (header <= 0) {
    throw new ValidationError('dataset_csv_no_columns', `${label} has no columns: its first line must be a header naming them (e.g. "id,text").`, { file: label });
  }
  return { columns: header, rows };
}
