/** The `dataset.transform` job: its type name and payload (shared by the service, the handler and workflows). */
import { z } from 'zod';
import type { JobTypeDefinition } from '../../jobs/index.js';
import { DatasetNameSchema } from '../schema.js';
import { RecipeSourceSchema } from './recipe.js';

export const DATASET_TRANSFORM = 'dataset.transform';

export const TransformJobPayloadSchema = z.object({
  /** The parent REF, e.g. corpus@3 (a name alone: its latest version when the job runs). */
  dataset: z.string().min(1).max(200),
  /** The recipe: YAML text, or the recipe as an object (in a workflow's `with:`). */
  recipe: RecipeSourceSchema,
  recipe_name: z.string().max(500).optional(),
  /** The dataset that receives the new version; the parent's by default. */
  name: DatasetNameSchema.optional(),
  created_by: z.string().nullable().default(null),
});
export type TransformJobPayload = z.infer<typeof TransformJobPayloadSchema>;

export const transformJobType: JobTypeDefinition = {
  type: DATASET_TRANSFORM,
  payload: TransformJobPayloadSchema,
  // It reads versions and adds one, as POST …/transform lets an editor do.
  role: 'editor',
  description: 'applies a recipe to a dataset version, making a new version (POST /api/v1/datasets/{name}/versions/{version}/transform)',
};
