/**
 * The profile of a version, computed by DuckDB over its Parquet file: schema with null counts,
 * row count, sizes, character and approximate-token length statistics with histograms for the text
 * column, top values of low-cardinality columns, and the share of non-ASCII records with the
 * scripts they use. Approximate tokens are characters / 4 (the usual rule of thumb for English
 * BPE vocabularies) until a tokenizer is named.
 */
import { num, sqlIdent, sqlString, type Duck } from './duck.js';

export interface LengthStats {
  min: number;
  max: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  histogram: Array<{ lo: number; hi: number; count: number }>;
}

export interface DatasetProfile {
  rows: number;
  bytes: { source: number; parquet: number };
  columns: Array<{ name: string; type: string; nulls: number; distinct_approx: number | null }>;
  text: null | {
    field: string;
    chars: LengthStats;
    tokens_approx: LengthStats;
    total_chars: number;
    non_ascii_share: number;
    scripts: Record<string, number>;
  };
  top_values: Record<string, Array<{ value: unknown; count: number }>>;
}

const HISTOGRAM_BINS = 20;
const LOW_CARDINALITY = 20;
const SCRIPTS = ['Latin', 'Greek', 'Cyrillic', 'Armenian', 'Hebrew', 'Arabic', 'Devanagari', 'Bengali', 'Thai', 'Hangul', 'Hiragana', 'Katakana', 'Han'];
const NESTED = /^(STRUCT|MAP|UNION)|\[\]$/;

export async function profileParquet(duck: Duck, parquet: string, textField: string, sizes: { source: number; parquet: number }): Promise<DatasetProfile> {
  const c = duck.connection;
  const from = `read_parquet(${sqlString(parquet)})`;
  const described = await (await c.runAndReadAll(`DESCRIBE SELECT * FROM ${from}`)).getRowObjectsJS();
  const schema = described.map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));

  const aggregates = ['count(*) AS "rows"'];
  schema.forEach((col, i) => {
    aggregates.push(`count(${sqlIdent(col.name)}) AS n${i}`);
    aggregates.push(NESTED.test(col.type) ? `NULL AS d${i}` : `approx_count_distinct(${sqlIdent(col.name)}) AS d${i}`);
  });
  const agg = (await (await c.runAndReadAll(`SELECT ${aggregates.join(', ')} FROM ${from}`)).getRowObjectsJS())[0]!;
  const rows = num(agg.rows);
  const columns = schema.map((col, i) => ({
    ...col,
    nulls: rows - num(agg[`n${i}`]),
    distinct_approx: agg[`d${i}`] === null ? null : num(agg[`d${i}`]),
  }));

  const top_values: DatasetProfile['top_values'] = {};
  for (const col of columns) {
    if (col.name === textField || col.distinct_approx === null || col.distinct_approx > LOW_CARDINALITY || rows === 0) continue;
    const top = await (await c.runAndReadAll(`SELECT ${sqlIdent(col.name)} AS value, count(*) AS count FROM ${from} GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10`)).getRowObjectsJson();
    top_values[col.name] = top.map((r) => ({ value: r.value, count: num(r.count) }));
  }

  const textColumn = columns.find((col) => col.name === textField && col.type === 'VARCHAR');
  const text = textColumn && rows > 0 ? await textProfile(duck, from, textField) : null;
  return { rows, bytes: sizes, columns, text, top_values };
}

async function textProfile(duck: Duck, from: string, field: string): Promise<NonNullable<DatasetProfile['text']>> {
  const c = duck.connection;
  // Length in characters and in UTF-8 bytes: they differ exactly when the text is not all ASCII.
  // Read from the Parquet once into a small table (16 bytes a row): the statistics and both
  // histograms come from it, instead of decompressing the text column once per query.
  const table = '__profile_lengths';
  await c.run(`CREATE OR REPLACE TEMP TABLE ${table} AS SELECT coalesce(length(${sqlIdent(field)}), 0)::BIGINT AS chars, coalesce(strlen(${sqlIdent(field)}), 0)::BIGINT AS bytes FROM ${from}`);
  try {
    const stats = (
      await (
        await c.runAndReadAll(
          `SELECT min(chars) mn, max(chars) mx, avg(chars) mean, sum(chars) total,
                  approx_quantile(chars, 0.5) p50, approx_quantile(chars, 0.9) p90, approx_quantile(chars, 0.99) p99,
                  avg(CASE WHEN bytes > chars THEN 1 ELSE 0 END) non_ascii
           FROM ${table}`,
        )
      ).getRowObjectsJS()
    )[0]!;
    const charStats = await withHistogram(duck, table, 'chars', stats);
    const tokenStats = await withHistogram(duck, `(SELECT ceil(chars / 4)::BIGINT AS tokens FROM ${table})`, 'tokens', {
      mn: Math.ceil(num(stats.mn) / 4),
      mx: Math.ceil(num(stats.mx) / 4),
      mean: num(stats.mean) / 4,
      p50: Math.ceil(num(stats.p50) / 4),
      p90: Math.ceil(num(stats.p90) / 4),
      p99: Math.ceil(num(stats.p99) / 4),
    });
    const nonAscii = num(stats.non_ascii);
    const scripts: Record<string, number> = {};
    if (nonAscii > 0) {
      const t = sqlIdent(field);
      const counts = SCRIPTS.map((s) => `count(*) FILTER (WHERE regexp_matches(${t}, '\\p{${s}}')) AS ${s}`).join(', ');
      const row = (await (await c.runAndReadAll(`SELECT ${counts} FROM ${from} WHERE strlen(${t}) > length(${t})`)).getRowObjectsJS())[0]!;
      for (const s of SCRIPTS) if (num(row[s]) > 0) scripts[s] = num(row[s]);
    }
    return { field, chars: charStats, tokens_approx: tokenStats, total_chars: num(stats.total), non_ascii_share: nonAscii, scripts };
  } finally {
    await c.run(`DROP TABLE IF EXISTS ${table}`);
  }
}

/** Equal-width bins from min to max over one column of a subquery. */
async function withHistogram(duck: Duck, subquery: string, column: string, s: Record<string, unknown>): Promise<LengthStats> {
  const min = num(s.mn);
  const max = num(s.mx);
  const width = Math.max(1, Math.ceil((max - min + 1) / HISTOGRAM_BINS));
  const bins = await (
    await duck.connection.runAndReadAll(`SELECT floor((${column} - ${min}) / ${width})::BIGINT AS bin, count(*) AS n FROM ${subquery} GROUP BY 1 ORDER BY 1`)
  ).getRowObjectsJS();
  return {
    min,
    max,
    mean: Math.round(num(s.mean) * 100) / 100,
    p50: num(s.p50),
    p90: num(s.p90),
    p99: num(s.p99),
    histogram: bins.map((b) => ({ lo: min + num(b.bin) * width, hi: min + (num(b.bin) + 1) * width - 1, count: num(b.n) })),
  };
}
