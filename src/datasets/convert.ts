/**
 * DuckDB writes each version's Parquet file (zstd, row order kept) from the source or from the
 * JSONL that a text pass wrote. Read errors are the input's fault: they become ValidationErrors.
 */
import { ValidationError } from '../platform/errors.js';
import { sqlString, type Duck } from './duck.js';

export type ConvertSource =
  | { kind: 'jsonl'; file: string }
  | { kind: 'csv'; file: string; delimiter: ',' | '\t' }
  | { kind: 'parquet'; file: string };

/** The SELECT that reads a source. */
export function sourceSelect(source: ConvertSource): string {
  switch (source.kind) {
    case 'jsonl':
      // sample_size=-1: the schema comes from every record, so a field that first appears late is kept.
      return `SELECT * FROM read_json(${sqlString(source.file)}, format='newline_delimited', records=true, sample_size=-1, maximum_object_size=16777216)`;
    case 'csv':
      return `SELECT * FROM read_csv(${sqlString(source.file)}, delim=${sqlString(source.delimiter)}, header=true, quote='"', escape='"', strict_mode=true, sample_size=-1)`;
    case 'parquet':
      return `SELECT * FROM read_parquet(${sqlString(source.file)})`;
  }
}

/** Writes `out` (Parquet; `rowGroupRows` bounds DuckDB's write buffer); returns the row count DuckDB wrote. */
export async function convertToParquet(duck: Duck, source: ConvertSource, out: string, label: string, rowGroupRows = 20_000): Promise<number> {
  try {
    const result = await duck.connection.run(`COPY (${sourceSelect(source)}) TO ${sqlString(out)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${rowGroupRows})`);
    return result.rowsChanged;
  } catch (err) {
    // Resource and internal failures are the server's, not the input's.
    if (/^(Out of Memory|INTERNAL|Interrupt)/i.test((err as Error).message)) throw err;
    const message = (err as Error).message.split('\n')[0]!.replaceAll(source.file, label);
    throw new ValidationError('dataset_unreadable', `DuckDB could not read ${label} as ${source.kind}: ${message}. Check the file and --format.`, { file: label }, { cause: err });
  }
}
