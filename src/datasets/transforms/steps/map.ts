/**
 * `map`: the output columns, each a SQL expression over the current ones (`text: "instruction ||
 * ' ' || output"`, `id: id`). Only the listed columns remain; use `rename` to keep the others.
 * When the text field is not among them but `text` is, `text` becomes the text field (the usual
 * reason to map is to build the text that training reads).
 */
import { z } from 'zod';
import { sqlIdent } from '../../duck.js';
import type { StepKind } from '../types.js';

const Options = z
  .record(z.string().min(1).max(200), z.string().min(1, 'give a SQL expression, e.g. text: "question || \' \' || answer"'))
  .refine((m) => Object.keys(m).length > 0, { message: 'list at least one output column, e.g. map: {text: body}' });
type Options = z.infer<typeof Options>;

function select(columns: Options, from: string): string {
  return `SELECT ${Object.entries(columns).map(([name, expr]) => `(${expr}) AS ${sqlIdent(name)}`).join(', ')} FROM ${from}`;
}

export const mapStep: StepKind<Options> = {
  kind: 'map',
  summary: 'output columns as SQL expressions of the current ones (DuckDB, sandboxed)',
  example: 'map: {text: "question || \'\\n\' || answer", id: id}',
  options: Options,
  keepsSchema: false,
  async plan(columns, state, ctx) {
    // Bound one by one, so that the finding points at the column whose expression is wrong.
    const out: Array<{ name: string; type: string }> = [];
    for (const [name, expr] of Object.entries(columns)) {
      const described = await ctx.describeSql(state, select({ [name]: expr }, 'data'), [name]);
      out.push({ name, type: described?.[0]?.type ?? 'VARCHAR' });
    }
    const names = out.map((c) => c.name);
    return { columns: out, textField: names.includes(state.textField) || !names.includes('text') ? state.textField : 'text' };
  },
  create(columns) {
    return { kind: 'sql', sql: (from) => select(columns, from) };
  },
};
