/** Dataset transforms: YAML recipes of steps that turn a version into a new one (docs/formats/transform-recipe.md). */
export { DATASET_TRANSFORM, TransformJobPayloadSchema, transformJobType, type TransformJobPayload } from './job-payload.js';
export { RecipeFindingSchema, RecipeSourceSchema, TransformInputSchema, recipeHash, type Recipe, type RecipeFinding, type RecipeSource, type TransformInput } from './recipe.js';
export { validateRecipe, type ParentSchema, type RecipeValidation } from './validate-recipe.js';
export {
  formatRecipeFindings,
  planTransform,
  recipeInvalid,
  transformContentKey,
  transformDataset,
  type StoredRecipe,
  type TransformDeps,
  type TransformProgress,
  type TransformRequest,
  type TransformResult,
} from './run-transform.js';
export type { StepStats } from './pipeline.js';
export { STEP_KINDS } from './steps/index.js';
