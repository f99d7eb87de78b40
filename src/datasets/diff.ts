/**
 * Diff of two versions by row hash (DuckDB's hash of the whole row): rows are compared as
 * multisets, so a duplicated row added once counts once. With a key column, rows whose key is in
 * both versions with different contents count as changed instead of added + removed.
 */
import { num, openDuck, sqlIdent, sqlString } from './duck.js';
import type { DiffResult } from './schema.js';

const EXAMPLES = 5;

export async function diffParquet(fromFile: string, toFile: string, refs: { from: string; to: string }, key?: string): Promise<DiffResult> {
  const duck = await openDuck({ threads: 2, memoryLimit: '512MB' });
  try {
    const c = duck.connection;
    await c.run(`CREATE VIEW a AS SELECT hash(r) AS h, r.* FROM read_parquet(${sqlString(fromFile)}) r`);
    await c.run(`CREATE VIEW b AS SELECT hash(r) AS h, r.* FROM read_parquet(${sqlString(toFile)}) r`);
    const counts = (
      await (
        await c.runAndReadAll(`
          WITH ca AS (SELECT h, count(*) n FROM a GROUP BY h), cb AS (SELECT h, count(*) n FROM b GROUP BY h)
          SELECT sum(greatest(coalesce(cb.n, 0) - coalesce(ca.n, 0), 0)) AS added,
                 sum(greatest(coalesce(ca.n, 0) - coalesce(cb.n, 0), 0)) AS removed,
                 sum(least(coalesce(ca.n, 0), coalesce(cb.n, 0))) AS unchanged
          FROM ca FULL OUTER JOIN cb USING (h)`)
      ).getRowObjectsJS()
    )[0]!;
    let changed: number | null = null;
    if (key) {
      const k = sqlIdent(key);
      const row = (await (await c.runAndReadAll(`SELECT count(*) AS n FROM (SELECT DISTINCT a.${k} FROM a JOIN b ON a.${k} = b.${k} WHERE a.h <> b.h AND NOT EXISTS (SELECT 1 FROM b b2 WHERE b2.${k} = a.${k} AND b2.h = a.h))`)).getRowObjectsJS())[0]!;
      changed = num(row.n);
    }
    const sample = async (left: string, right: string) =>
      (await (await c.runAndReadAll(`SELECT * EXCLUDE (h) FROM ${left} WHERE h NOT IN (SELECT h FROM ${right}) LIMIT ${EXAMPLES}`)).getRowObjectsJson()) as Array<Record<string, unknown>>;
    const added = num(counts.added);
    const removed = num(counts.removed);
    return {
      from: refs.from,
      to: refs.to,
      added: changed === null ? added : added - changed,
      removed: changed === null ? removed : removed - changed,
      unchanged: num(counts.unchanged),
      changed,
      examples: { added: await sample('b', 'a'), removed: await sample('a', 'b') },
    };
  } finally {
    duck.close();
  }
}
