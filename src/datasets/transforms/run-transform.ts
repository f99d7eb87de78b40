/**
 * A transform: a recipe over a parent version becomes a new immutable version whose lineage
 * records the parent and the recipe. Long work (run by the `dataset.transform` job): validate the
 * recipe against the parent's schema first, then stream the steps, then profile and validate the
 * output exactly as an ingest does (ingest-passes.ts), then store the Parquet and the version row
 * in one insert. A failure at any point leaves no version and no blob.
 *
 *   parent ─▶ validate recipe ─▶ pipeline (steps) ─▶ JSONL ─▶ convert + profile + report ─▶ blob + row
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { BlobStore } from '../../platform/blobs/index.js';
import { NotFoundError, ValidationError } from '../../platform/errors.js';
import type { RunControl } from '../ingest.js';
import { convertAndValidate } from '../ingest-passes.js';
import type { ParquetCache } from '../local-parquet.js';
import { formatRef, parseDatasetRef } from '../ref.js';
import type { DatasetStore, StoredVersion } from '../store.js';
import { runPipeline, type StepStats } from './pipeline.js';
import { recipeHash, type Recipe, type RecipeFinding, type RecipeSource } from './recipe.js';
import { validateRecipe } from './validate-recipe.js';

export interface TransformDeps {
  store: DatasetStore;
  blobs: BlobStore;
  cache: ParquetCache;
  /** Scratch space; a subfolder is made per transform and removed after. */
  workDir: string;
}

export interface TransformRequest {
  /** The parent REF (name@N; name alone is the latest). */
  parent: string;
  recipe: RecipeSource;
  /** The recipe's file name, kept with the version. */
  recipeName?: string;
  /** The dataset that receives the version; the parent's by default. */
  name?: string;
  createdBy: string | null;
}

export interface TransformProgress {
  phase: 'transforming' | 'validating' | 'profiling' | 'storing' | 'checking' | 'converting';
  done: number;
  total?: number;
}

export interface TransformResult {
  version: StoredVersion;
  /** False when this recipe had already made this version from this parent. */
  created: boolean;
  /** Records in and out of each step (empty when the version existed). */
  stats: StepStats[];
}

/** What the version row keeps of its recipe (the `recipe` column). */
export interface StoredRecipe {
  sha256: string;
  name: string | null;
  /** The text the user wrote (YAML), or the JSON of an object recipe. */
  source: string;
  recipe: Recipe;
}

/** One line per finding: `12:9 steps[2].dedup.near: unknown option … Fix: …`. */
export function formatRecipeFindings(findings: RecipeFinding[]): string {
  return findings.map((f) => `${f.line === null ? '' : `${f.line}:${f.column} `}${f.severity} ${f.path}: ${f.message} Fix: ${f.fix}`).join('\n');
}

export function recipeInvalid(findings: RecipeFinding[]): ValidationError {
  const count = findings.length === 1 ? '1 error' : `${findings.length} errors`;
  return new ValidationError('dataset_recipe_invalid', `The recipe has ${count}; fix them and run it again:\n${formatRecipeFindings(findings)}`, { findings });
}

/** The parent version, or NotFoundError naming what to list. */
export async function resolveVersion(store: DatasetStore, ref: string): Promise<StoredVersion> {
  const parsed = parseDatasetRef(ref);
  const v = await store.findVersion(parsed.name, parsed.version);
  if (v) return v;
  if (!(await store.datasetExists(parsed.name))) throw new NotFoundError('dataset_not_found', `No dataset named "${parsed.name}". List datasets with: crucible dataset list`, { name: parsed.name });
  throw new NotFoundError('dataset_version_not_found', `${parsed.name} has no version ${parsed.version}. List them with: crucible dataset versions ${parsed.name}`, { ref: formatRef(parsed.name, Number(parsed.version)) });
}

/** Validates the recipe against the parent; ValidationError `dataset_recipe_invalid` with every finding. */
export async function planTransform(parent: StoredVersion, recipe: RecipeSource) {
  const result = await validateRecipe(recipe, { columns: parent.columns, textField: parent.text_field });
  if (!result.recipe || !result.states || !result.output) throw recipeInvalid(result.findings);
  return { recipe: result.recipe, states: result.states, output: result.output, sha256: recipeHash(result.recipe) };
}

/** Same parent + same recipe (+ same target dataset) → the same version. */
export function transformContentKey(parentId: string, recipeSha256: string): string {
  return createHash('sha256').update(JSON.stringify({ v: 1, transform: { parent: parentId, recipe: recipeSha256 } })).digest('hex');
}

/** Runs one transform to its new version (or the existing one). */
export async function transformDataset(deps: TransformDeps, request: TransformRequest, control: RunControl & { onTransformProgress?: (p: TransformProgress & { message?: string }) => void } = {}): Promise<TransformResult> {
  const parent = await resolveVersion(deps.store, request.parent);
  const plan = await planTransform(parent, request.recipe);
  const name = request.name ?? parent.dataset;
  const contentKey = transformContentKey(parent.id, plan.sha256);
  const existing = await deps.store.findByContent(name, contentKey);
  if (existing) return { version: existing, created: false, stats: [] };

  const scratch = path.join(deps.workDir, `transform-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`);
  await mkdir(scratch, { recursive: true });
  let stored: string | undefined;
  try {
    const input = { parquet: await deps.cache.path(parent.parquet_sha256), records: parent.records };
    const report = control.onTransformProgress;
    const out = await runPipeline(plan.recipe, plan.states, input, scratch, {
      ...(control.signal ? { signal: control.signal } : {}),
      onProgress: (done, total, message) => report?.({ phase: 'transforming', done, ...(total !== undefined ? { total } : {}), message }),
    });
    const finalField = plan.output.textField;
    const label = `${parent.ref} + ${request.recipeName ?? 'recipe'}`;
    const converted = await convertAndValidate({
      source: { file: out.jsonl, label },
      format: 'jsonl',
      options: { textField: finalField, skipBadLines: false, validation: plan.recipe.validation },
      scratch,
      control: { ...control, onProgress: (p) => report?.({ ...p, ...(p.phase === 'validating' ? { message: 'validating the output' } : {}) }) },
      isFolder: false,
    });
    report?.({ phase: 'storing', done: 0 });
    const parquet = await deps.blobs.put(createReadStream(converted.parquet), control.signal ? { signal: control.signal } : {});
    if (!(await deps.store.blobInUse(parquet.sha256))) stored = parquet.sha256;
    const recipeRecord: StoredRecipe = { sha256: plan.sha256, name: request.recipeName ?? null, source: typeof request.recipe === 'string' ? request.recipe : JSON.stringify(request.recipe, null, 2), recipe: plan.recipe };
    const inserted = await deps.store.insertVersion(name, request.createdBy, {
      content_key: contentKey,
      format: 'parquet',
      text_field: finalField,
      source_name: label,
      // A derived version has no original file: its Parquet is its source.
      source_sha256: parquet.sha256,
      source_size: parquet.size,
      parquet_sha256: parquet.sha256,
      parquet_size: parquet.size,
      records: converted.records,
      skipped_lines: 0,
      options: JSON.stringify({ text_field: finalField, skip_bad_lines: false, validation: plan.recipe.validation, transform: { parent: parent.ref, recipe_sha256: plan.sha256 } }),
      profile: JSON.stringify(converted.profile),
      findings: JSON.stringify(converted.findings),
      parent_version_id: parent.id,
      recipe: JSON.stringify(recipeRecord),
    });
    return { version: inserted.version, created: inserted.created, stats: out.stats };
  } catch (err) {
    if (stored && !(await deps.store.blobInUse(stored))) await deps.blobs.delete(stored).catch(() => undefined);
    throw err;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

