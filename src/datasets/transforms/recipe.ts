/**
 * A transform recipe (docs/formats/transform-recipe.md): YAML with a list of steps, each a map
 * of one step kind to its options, run in order. The parsed recipe keeps every option with its
 * default filled in, and its sha256 over that canonical form is the recipe's identity: the same
 * recipe on the same parent gives the same version.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { DatasetNameSchema } from '../schema.js';

export const MAX_STEPS = 100;

/** The top level; each step is checked on its own (validate-recipe.ts) so that every error is reported. */
export const RecipeTopSchema = z.strictObject({
  name: z.string().min(1).max(200).optional(),
  description: z.string().optional(),
  /** The field the text steps read, when it is not the parent version's text field. */
  text_field: z.string().min(1).max(200).optional(),
  /** Validation rules for the new version's report (as for `dataset add`); the defaults when left out. */
  validation: z.record(z.string(), z.unknown()).optional(),
  steps: z.array(z.unknown()).min(1, 'a recipe needs at least one step, e.g. steps: [{normalize: {form: NFKC}}]').max(MAX_STEPS, `a recipe has at most ${MAX_STEPS} steps`),
});

export interface ParsedStep {
  kind: string;
  /** The options as the step's schema returned them (defaults filled in). */
  options: unknown;
}

export interface Recipe {
  name?: string;
  text_field?: string;
  validation: Record<string, unknown>;
  steps: ParsedStep[];
}

/** One problem in a recipe: where (path, and line:column when there is a file), how bad, and what to do. */
export const RecipeFindingSchema = z.object({
  /** e.g. `steps[2].dedup.near.threshold` */
  path: z.string(),
  line: z.number().int().nullable(),
  column: z.number().int().nullable(),
  severity: z.enum(['error', 'warning']),
  /** recipe_yaml_invalid, recipe_field_invalid, recipe_step_unknown, recipe_option_invalid, recipe_field_unknown, recipe_sql_invalid, recipe_option_unsupported */
  code: z.string(),
  message: z.string(),
  fix: z.string(),
});
export type RecipeFinding = z.infer<typeof RecipeFindingSchema>;

/** What a client sends: the YAML text (or JSON object) of a recipe. */
export const RecipeSourceSchema = z.union([z.string().min(1).max(1_000_000), z.record(z.string(), z.unknown())]);
export type RecipeSource = z.infer<typeof RecipeSourceSchema>;

export const TransformInputSchema = z.object({
  recipe: RecipeSourceSchema,
  /** The recipe's file name, kept with the version. */
  recipe_name: z.string().max(500).optional(),
  /** The dataset that receives the new version; the parent's own by default. */
  name: DatasetNameSchema.optional(),
  /** Only validate: nothing is submitted. */
  dry_run: z.boolean().default(false),
});
export type TransformInput = z.input<typeof TransformInputSchema>;

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => [k, sortKeys(v)]));
  return value;
}

/** sha256 of the recipe's canonical JSON (keys sorted, defaults filled in): comments and key order do not change it. */
export function recipeHash(recipe: Recipe): string {
  const canonical = { text_field: recipe.text_field ?? null, validation: recipe.validation, steps: recipe.steps.map((s) => ({ [s.kind]: s.options })) };
  return createHash('sha256').update(JSON.stringify(sortKeys(canonical))).digest('hex');
}
