/**
 * `where`: keeps the records for which a SQL condition holds, evaluated by DuckDB in the same
 * sandbox as `crucible dataset query` (no files, no network, no settings). The condition is
 * bound against the schema at its point of the recipe during validation, so a misspelt column
 * is reported before any work starts.
 */
import { z } from 'zod';
import type { StepKind } from '../types.js';

const Options = z.union([z.string().min(1, 'give a SQL condition, e.g. where: "lang = \'en\'"'), z.strictObject({ sql: z.string().min(1) })]).transform((o) => (typeof o === 'string' ? o : o.sql));
type Options = z.infer<typeof Options>;

export const whereStep: StepKind<Options> = {
  kind: 'where',
  summary: 'keeps records matching a SQL condition (DuckDB, sandboxed)',
  example: `where: "lang = 'en' AND length(text) > 20"`,
  options: Options,
  keepsSchema: true,
  async plan(condition, state, ctx) {
    await ctx.describeSql(state, `SELECT * FROM data WHERE (${condition})`, []);
    return state;
  },
  create(condition) {
    return { kind: 'sql', sql: (from) => `SELECT * FROM ${from} WHERE (${condition})` };
  },
};
