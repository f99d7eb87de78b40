/**
 * Checks a recipe before any work starts and reports every problem with its path in the file,
 * line:column, severity and a suggested fix, as `crucible workflow validate` does (it reuses the
 * workflows' YAML source map, path format and "did you mean"): YAML syntax, top-level fields,
 * unknown step kinds, each step's options (by its zod schema), and, when the parent version is
 * known, every field a step reads against the schema at that point (which steps before it may
 * have changed), with SQL conditions and expressions bound by DuckDB.
 */
import type { z } from 'zod';
import { didYouMean, formatPath, readWorkflowSource } from '../../workflows/index.js';
import { validationConfigSchema } from '../validation/index.js';
import { RecipeTopSchema, type ParsedStep, type Recipe, type RecipeFinding, type RecipeSource } from './recipe.js';
import { SqlSchemaChecker } from './sql-sandbox.js';
import { STEP_KINDS } from './steps/index.js';
import type { Column, Path, PlanContext, SchemaState } from './types.js';

/** The parent version's shape: its columns and text field. */
export interface ParentSchema {
  columns: Column[];
  textField: string;
}

export interface RecipeValidation {
  findings: RecipeFinding[];
  /** Set when there are no errors. */
  recipe: Recipe | null;
  /** With a parent and no errors: the schema each step sees (what the pipeline builds the steps with). */
  states: SchemaState[] | null;
  /** With a parent and no errors: the schema of the output records. */
  output: SchemaState | null;
}

const KINDS = [...STEP_KINDS.keys()];
const TOP_FIELDS = Object.keys(RecipeTopSchema.shape);

/**
 * Every finding in a recipe; `parent` null checks everything but field names.
 * @example const { findings } = await validateRecipe(readFileSync('clean.yaml', 'utf8'), { columns, textField: 'text' });
 */
export async function validateRecipe(input: RecipeSource, parent: ParentSchema | null): Promise<RecipeValidation> {
  const source = readWorkflowSource(input);
  const findings: RecipeFinding[] = source.findings.map((f) => ({ ...f, code: 'recipe_yaml_invalid', message: f.message.replace(/: fix the YAML syntax here\.$/, '.'), fix: 'Fix the YAML syntax at this line (indentation, a missing ":" or an unclosed quote).' }));
  if (findings.length) return { findings, recipe: null, states: null, output: null };
  const add = (path: Path, code: string, message: string, fix: string, key = false) =>
    findings.push({ path: formatPath(path), ...source.map.position(path, { key }), severity: 'error', code, message, fix });
  const zodIssues = (base: Path, error: z.ZodError, known: readonly string[] | null, fix: string) => {
    for (const issue of error.issues) {
      const path = [...base, ...(issue.path as Path)];
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) add([...path, key], 'recipe_option_invalid', `unknown option "${key}"${didYouMean(key, known ?? [])}.`, known?.length ? `Use one of: ${known.join(', ')} (${fix}).` : fix, true);
      } else {
        add(path, base.length ? 'recipe_option_invalid' : 'recipe_field_invalid', `${issue.message}.`, fix);
      }
    }
  };

  const top = RecipeTopSchema.safeParse(source.value ?? {});
  if (!top.success) {
    for (const issue of top.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) add([key], 'recipe_field_invalid', `unknown field "${key}"${didYouMean(key, TOP_FIELDS)}; a recipe has ${TOP_FIELDS.join(', ')}.`, 'Remove it, or put it under one of those fields.', true);
      } else {
        const missing = issue.code === 'invalid_type' && issue.path.length === 1 && (source.value as Record<string, unknown> | undefined)?.[String(issue.path[0])] === undefined;
        add(issue.path as Path, 'recipe_field_invalid', missing ? `missing "${String(issue.path[0])}".` : `${issue.message}.`, 'A recipe is a map with steps: a list of {kind: options}, e.g. steps: [{normalize: {form: NFKC}}].');
      }
    }
    if (top.error.issues.some((issue) => issue.path[0] === 'steps' || issue.path.length === 0)) return { findings, recipe: null, states: null, output: null };
  }
  const raw = source.value as { steps: unknown[]; text_field?: string; name?: string; validation?: Record<string, unknown> };

  if (raw.validation !== undefined) {
    // The new version's report rules: a mistake here would otherwise surface only after the work.
    const rules = validationConfigSchema.safeParse(raw.validation);
    if (!rules.success) {
      for (const issue of rules.error.issues) {
        const keys = issue.code === 'unrecognized_keys' ? issue.keys : [undefined];
        for (const key of keys) add(['validation', ...(issue.path as Path), ...(key === undefined ? [] : [key])], 'recipe_field_invalid', `${issue.code === 'unrecognized_keys' ? `unknown validation setting "${key}"` : issue.message}.`, 'Validation settings are those of crucible dataset add (maxExamples, shape, rules.<rule id>.{enabled, severity, ...}).', key !== undefined);
      }
    }
  }
  const sql = new SqlSchemaChecker();
  try {
    // The schema as the records flow: null once a step's options are wrong (nothing after it is knowable).
    let state: SchemaState | null = parent ? { columns: parent.columns, textField: raw.text_field ?? parent.textField } : null;
    if (state && raw.text_field !== undefined && !state.columns.some((c) => c.name === raw.text_field)) {
      add(['text_field'], 'recipe_field_unknown', `the parent version has no field "${raw.text_field}"${didYouMean(raw.text_field, state.columns.map((c) => c.name))}.`, `Use one of: ${state.columns.map((c) => c.name).join(', ')}.`);
    }
    const steps: ParsedStep[] = [];
    const states: SchemaState[] = [];
    for (let i = 0; i < raw.steps.length; i++) {
      const entry = raw.steps[i];
      const at: Path = ['steps', i];
      if (!entry || typeof entry !== 'object' || Array.isArray(entry) || Object.keys(entry).length !== 1) {
        const keys = entry && typeof entry === 'object' && !Array.isArray(entry) ? Object.keys(entry) : [];
        add(at, 'recipe_step_invalid', keys.length > 1 ? `a step names one kind, this one names ${keys.join(', ')}.` : 'a step is a map of one kind to its options.',
          keys.length > 1 ? `Give each kind its own "- " item, and indent options under their kind (- ${keys[0]}:\\n    option: value).` : `Write it as "- kind: options", e.g. - ${STEP_KINDS.get('normalize')!.example}.`);
        state = null;
        continue;
      }
      const [kind, value] = Object.entries(entry)[0]!;
      const definition = STEP_KINDS.get(kind);
      if (!definition) {
        add([...at, kind], 'recipe_step_unknown', `unknown step "${kind}"${didYouMean(kind, KINDS)}.`, `Use one of: ${KINDS.join(', ')} (docs/formats/transform-recipe.md).`, true);
        state = null;
        continue;
      }
      const parsed = definition.options.safeParse(value ?? {});
      if (!parsed.success) {
        zodIssues([...at, kind], parsed.error, optionNames(definition.options), `e.g. ${definition.example}`);
        if (!definition.keepsSchema) state = null;
        continue;
      }
      steps.push({ kind, options: parsed.data });
      if (!state) continue;
      states.push(state);
      const base: Path = [...at, kind];
      const ctx: PlanContext = {
        knowsSchema: true,
        requireField(s, field, path) {
          if (s.columns.some((c) => c.name === field)) return true;
          const names = s.columns.map((c) => c.name);
          add([...base, ...path], 'recipe_field_unknown', `no field "${field}" in the records at this step${didYouMean(field, names)}; they have: ${names.join(', ')}.`,
            `Use one of those fields${i > 0 ? ' (a field that a step adds or renames exists only after that step)' : ''}, or add it first with map or rename.`);
          return false;
        },
        error(path, code, message, fix) {
          add([...base, ...path], code, message, fix);
        },
        async describeSql(s, select, path) {
          const result = await sql.describe(s.columns, select);
          if ('columns' in result) return result.columns;
          add([...base, ...path], 'recipe_sql_invalid', `${result.error}.`, `Fix the SQL; it runs over the columns ${s.columns.map((c) => c.name).join(', ')} (DuckDB syntax).`);
          return null;
        },
      };
      state = await definition.plan(parsed.data, state, ctx);
    }
    if (state && !state.columns.some((c) => c.name === state!.textField)) {
      add(['steps', raw.steps.length - 1], 'recipe_field_unknown', `after the last step the records have no text field "${state.textField}" (they have: ${state.columns.map((c) => c.name).join(', ')}).`,
        `Keep or make a "${state.textField}" column (map: {${state.textField}: ...}, rename, or a template with output: ${state.textField}), or set text_field.`);
    }
    if (!parent) await checkSqlSyntax(steps, sql, (i, message) => add(['steps', i, steps[i]!.kind], 'recipe_sql_invalid', message, 'Fix the SQL (DuckDB syntax).'));
    findings.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
    if (findings.length) return { findings, recipe: null, states: null, output: null };
    return {
      findings,
      states: parent ? states : null,
      output: parent ? state : null,
      recipe: { ...(raw.name !== undefined ? { name: raw.name } : {}), ...(raw.text_field !== undefined ? { text_field: raw.text_field } : {}), validation: raw.validation ?? {}, steps },
    };
  } finally {
    sql.close();
  }
}

/** Without a schema, SQL steps are still parsed (not bound). */
async function checkSqlSyntax(steps: ParsedStep[], sql: SqlSchemaChecker, report: (index: number, message: string) => void): Promise<void> {
  for (const [i, step] of steps.entries()) {
    const definition = STEP_KINDS.get(step.kind)!;
    const run = definition.create(step.options, { columns: [], textField: 'text' });
    if (run.kind !== 'sql') continue;
    const result = await sql.describe(null, run.sql('data'));
    if ('error' in result) report(i, `${result.error}.`);
  }
}

/** The option names of an object schema (for "did you mean"), or null for a scalar or free-form map. */
function optionNames(schema: z.ZodType): string[] | null {
  let s: unknown = schema;
  // Unwrap refinements and transforms down to the object, if there is one.
  for (let depth = 0; depth < 5 && s; depth++) {
    const def = (s as { def?: { type?: string; shape?: Record<string, unknown>; in?: unknown; innerType?: unknown; schema?: unknown } }).def;
    if (!def) return null;
    if (def.type === 'object' && def.shape) return Object.keys(def.shape);
    s = def.in ?? def.innerType ?? def.schema;
  }
  return null;
}
