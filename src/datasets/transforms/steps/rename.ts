/** `rename`: renames columns (`{question: prompt}`), keeping all the others. */
import { z } from 'zod';
import { sqlIdent } from '../../duck.js';
import type { StepKind } from '../types.js';

const Options = z
  .record(z.string().min(1), z.string().min(1).max(200))
  .refine((m) => Object.keys(m).length > 0, { message: 'give at least one old: new pair, e.g. rename: {body: text}' });
type Options = z.infer<typeof Options>;

export const renameStep: StepKind<Options> = {
  kind: 'rename',
  summary: 'renames columns (old: new), keeping the others',
  example: 'rename: {body: text}',
  options: Options,
  keepsSchema: false,
  plan(renames, state, ctx) {
    for (const old of Object.keys(renames)) ctx.requireField(state, old, [old]);
    const columns = state.columns.map((c) => ({ ...c, name: renames[c.name] ?? c.name }));
    const textField = renames[state.textField] ?? state.textField;
    const names = columns.map((c) => c.name);
    for (const [old, name] of Object.entries(renames)) {
      if (names.filter((n) => n === name).length > 1) ctx.error([old], 'recipe_field_conflict', `renaming "${old}" to "${name}" makes two columns named "${name}".`, `Rename "${name}" too, or drop it first with map.`);
    }
    return { columns, textField };
  },
  create(renames) {
    return { kind: 'sql', sql: (from) => `SELECT * RENAME (${Object.entries(renames).map(([o, n]) => `${sqlIdent(o)} AS ${sqlIdent(n)}`).join(', ')}) FROM ${from}` };
  },
};
