/**
 * Read-only SQL over one version. The statement must be a single SELECT (DuckDB's own parser
 * decides); it runs in a fresh in-memory DuckDB whose only readable file is the version's Parquet,
 * exposed as the view `data`, with external access disabled and the configuration locked, so the
 * query cannot reach other files, the network, or settings. A timeout interrupts it; rows beyond
 * the limit are not fetched.
 */
import { ValidationError } from '../platform/errors.js';
import { loadDuckDb, openDuck, sqlString, type Duck } from './duck.js';
import type { RowsResult } from './schema.js';

export interface QueryLimits {
  limit: number;
  timeoutMs: number;
}

/** A sandboxed DuckDB over one Parquet file, as the view `data`. */
export async function openSandbox(parquet: string): Promise<Duck> {
  const duck = await openDuck({ threads: 2, memoryLimit: '512MB' });
  try {
    const c = duck.connection;
    await c.run(`CREATE VIEW data AS SELECT * FROM read_parquet(${sqlString(parquet)})`);
    await c.run(`SET allowed_paths=[${sqlString(parquet)}]`);
    await c.run('SET enable_external_access=false');
    await c.run('SET autoinstall_known_extensions=false');
    await c.run('SET autoload_known_extensions=false');
    await c.run('SET lock_configuration=true');
    return duck;
  } catch (err) {
    duck.close();
    throw err;
  }
}

/** Runs one SELECT against `data`; ValidationError for anything else or a failing query. */
export async function runReadOnlyQuery(parquet: string, sql: string, limits: QueryLimits): Promise<RowsResult> {
  const duck = await openSandbox(parquet);
  const timer = setTimeout(() => duck.connection.interrupt(), limits.timeoutMs);
  try {
    const prepared = await prepareSingleSelect(duck, sql);
    const result = await prepared.stream();
    const columns = result.columnNames().map((name, i) => ({ name, type: result.columnType(i).toString() }));
    const rows: Array<Record<string, unknown>> = [];
    let truncated = false;
    outer: for await (const batch of result.yieldRowObjectJson()) {
      for (const row of batch) {
        if (rows.length === limits.limit) {
          truncated = true;
          break outer;
        }
        rows.push(row);
      }
    }
    return { columns, rows, truncated };
  } catch (err) {
    if (err instanceof ValidationError) throw err;
    const message = (err as Error).message;
    if (/interrupt/i.test(message)) {
      throw new ValidationError('dataset_query_timeout', `The query ran longer than ${limits.timeoutMs} ms and was stopped. Narrow it (WHERE, LIMIT) or raise timeout_ms.`, { timeout_ms: limits.timeoutMs });
    }
    throw new ValidationError('dataset_query_failed', `The query failed: ${message.split('\n')[0]}. The table is named "data".`, { sql });
  } finally {
    clearTimeout(timer);
    duck.close();
  }
}

async function prepareSingleSelect(duck: Duck, sql: string) {
  let extracted;
  try {
    extracted = await duck.connection.extractStatements(sql);
  } catch (err) {
    const message = (err as Error).message.replace(/^Failed to extract statements: /, '').split('\n')[0];
    throw new ValidationError('dataset_query_invalid', `The query does not parse: ${message}.`, { sql });
  }
  if (extracted.count !== 1) {
    throw new ValidationError('dataset_query_not_select', `Give exactly one SELECT statement (got ${extracted.count}). Only read-only queries over "data" are allowed.`, { sql });
  }
  const prepared = await extracted.prepare(0).catch((err: Error) => {
    // Binding can fail before the type is known (COPY to a forbidden file): name the real mistake.
    if (!/^[\s(]*(select|with|from|values|table|pivot|unpivot|describe|summarize)\b/i.test(sql)) {
      throw new ValidationError('dataset_query_not_select', 'Only SELECT statements are allowed. The table is named "data".', { sql });
    }
    throw new ValidationError('dataset_query_failed', `The query failed: ${err.message.split('\n')[0]}. The table is named "data".`, { sql });
  });
  const { StatementType } = await loadDuckDb();
  if (prepared.statementType !== StatementType.SELECT) {
    throw new ValidationError('dataset_query_not_select', `Only SELECT statements are allowed (this one is a ${StatementType[prepared.statementType] ?? 'non-SELECT'} statement). The table is named "data".`, { sql });
  }
  return prepared;
}
