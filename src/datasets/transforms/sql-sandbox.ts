/**
 * DuckDB for the recipe's SQL steps. Validation binds each condition or expression against an
 * empty table with the schema at that step (so a misspelt column is found before any work), and
 * the pipeline runs them over the version's Parquet through the query feature's own sandbox
 * (query.ts: external access off, configuration locked). Statements are checked to be exactly one
 * SELECT, so an expression cannot smuggle in a second statement.
 */
import { ValidationError } from '../../platform/errors.js';
import { loadDuckDb, openDuck, sqlIdent, type Duck } from '../duck.js';
import { openSandbox } from '../query.js';
import type { Column } from './types.js';

/** The first line of a DuckDB error, without its "Binder Error:" style prefix. */
export function duckMessage(err: unknown): string {
  return ((err as Error).message.split('\n')[0] ?? '').replace(/^[A-Za-z ]+Error: /, '');
}

async function prepareOneSelect(duck: Duck, sql: string) {
  const extracted = await duck.connection.extractStatements(sql);
  if (extracted.count !== 1) throw new Error(`it makes ${extracted.count} statements; give one expression, without ";"`);
  const prepared = await extracted.prepare(0);
  const { StatementType } = await loadDuckDb();
  if (prepared.statementType !== StatementType.SELECT) throw new Error('only expressions over the columns are allowed');
  return prepared;
}

/** Binds SELECTs against a schema without data; one instance per validation. */
export class SqlSchemaChecker {
  private duck: Promise<Duck> | undefined;

  private open(): Promise<Duck> {
    this.duck ??= (async () => {
      const duck = await openDuck({ threads: 1, memoryLimit: '64MB' });
      for (const setting of ['enable_external_access=false', 'autoinstall_known_extensions=false', 'autoload_known_extensions=false', 'lock_configuration=true']) {
        await duck.connection.run(`SET ${setting}`);
      }
      return duck;
    })();
    return this.duck;
  }

  /** The columns `select` (over the table `data`) yields, or the reason it does not bind. */
  async describe(columns: Column[] | null, select: string): Promise<{ columns: Column[] } | { error: string }> {
    const duck = await this.open();
    try {
      if (columns === null) {
        // No schema to bind against: only the syntax can be checked.
        const extracted = await duck.connection.extractStatements(select);
        if (extracted.count !== 1) return { error: `it makes ${extracted.count} statements; give one expression, without ";"` };
        return { columns: [] };
      }
      await this.createTable(duck, columns);
      await prepareOneSelect(duck, select);
      const rows = await (await duck.connection.runAndReadAll(`DESCRIBE ${select}`)).getRowObjectsJS();
      return { columns: rows.map((r) => ({ name: String(r.column_name), type: String(r.column_type) })) };
    } catch (err) {
      return { error: duckMessage(err) };
    }
  }

  private async createTable(duck: Duck, columns: Column[]): Promise<void> {
    const ddl = (types: (c: Column) => string) => `CREATE OR REPLACE TABLE data (${columns.map((c) => `${sqlIdent(c.name)} ${types(c)}`).join(', ')})`;
    try {
      await duck.connection.run(ddl((c) => c.type));
    } catch {
      // A type DuckDB cannot declare (an all-null JSON column's NULL): its name still binds.
      await duck.connection.run(ddl((c) => (/^[A-Z][A-Z0-9_]*$/.test(c.type) && c.type !== 'NULL' ? c.type : 'VARCHAR')));
    }
  }

  close(): void {
    void this.duck?.then((d) => d.close()).catch(() => undefined);
  }
}

/** Runs `select` (over the view `data`) in the query sandbox over one Parquet file; yields rows as JSON values. */
export async function* sandboxRows(parquet: string, select: string, signal?: AbortSignal): AsyncGenerator<Record<string, unknown>[]> {
  const duck = await openSandbox(parquet);
  const onAbort = () => duck.connection.interrupt();
  signal?.addEventListener('abort', onAbort);
  try {
    let prepared;
    try {
      prepared = await prepareOneSelect(duck, select);
    } catch (err) {
      throw new ValidationError('dataset_transform_sql_failed', `A SQL step of the recipe does not run: ${duckMessage(err)}. Check it with crucible dataset validate-recipe.`, { sql: select });
    }
    const dataError = (err: unknown): unknown =>
      // A value that does not convert, a division by zero: the data's fault, told as such.
      signal?.aborted || /^(Out of Memory|INTERNAL)/i.test((err as Error).message)
        ? err
        : new ValidationError('dataset_transform_sql_failed', `A SQL step of the recipe failed on the data: ${duckMessage(err)}. Guard the expression (TRY_CAST, NULLIF) or filter those records first.`, { sql: select });
    let result;
    try {
      result = await prepared.stream();
    } catch (err) {
      throw dataError(err);
    }
    // BIGINT comes back as a string in JSON form; as a number it keeps its type through JSONL.
    const bigints = result.columnNames().filter((_, i) => /^(BIGINT|HUGEINT|UBIGINT|UHUGEINT)$/.test(result.columnType(i).toString()));
    const batches = result.yieldRowObjectJson();
    for (;;) {
      let next;
      try {
        next = await batches.next();
      } catch (err) {
        throw dataError(err);
      }
      if (next.done) break;
      const batch = next.value;
      signal?.throwIfAborted();
      if (bigints.length) {
        for (const row of batch) {
          for (const c of bigints) {
            const v = row[c];
            if (typeof v === 'string' && Number.isSafeInteger(Number(v))) row[c] = Number(v);
          }
        }
      }
      yield batch as Record<string, unknown>[];
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    duck.close();
  }
}
