/** Streams a version's records out of its Parquet file (for the validator, export and preview). */
import { sqlString, type Duck } from './duck.js';
import { recordId, textOf } from './record-sink.js';
import type { DatasetRecord } from './validation/index.js';

/** Every row as a validator record: id = its `id` field, else its row index (0-based); text = the text field. */
export async function* parquetRecords(duck: Duck, parquet: string, textField: string, hasTextColumn: boolean): AsyncGenerator<DatasetRecord> {
  const result = await duck.connection.stream(`SELECT * FROM read_parquet(${sqlString(parquet)})`);
  let id = 0;
  for await (const rows of result.yieldRowObjectJson()) {
    for (const fields of rows) {
      yield { id: recordId(fields.id, id++), text: hasTextColumn ? textOf(fields[textField]) : '', fields };
    }
  }
}

