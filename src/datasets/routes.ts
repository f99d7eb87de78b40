/** /api/v1/datasets: HTTP ⇄ DatasetService (INTERFACES.md). */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../auth/index.js';
import {
  AddDatasetInputSchema,
  DatasetReportSchema,
  DatasetSchema,
  DatasetVersionSchema,
  DiffResultSchema,
  QueryInputSchema,
  RowsResultSchema,
} from './schema.js';
import type { DatasetService } from './service.js';
import { RecipeFindingSchema, RecipeSourceSchema, TransformInputSchema } from './transforms/index.js';
import { ErrorBodySchema as ErrorBody, PageQuerySchema as ListQuery } from '../platform/http-schemas.js';

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };
const NameParams = z.object({ name: z.string().min(1).max(100) });
/** `version` is a number or `latest`. */
const VersionParams = NameParams.extend({ version: z.string().min(1).max(20) });
const refOf = (p: { name: string; version: string }) => `${p.name}@${p.version}`;
const AddResultSchema = z.object({ version: DatasetVersionSchema.nullable(), job: z.object({ id: z.string(), state: z.string() }).nullable() });
const RecipeCheckSchema = z.object({ valid: z.boolean(), findings: z.array(RecipeFindingSchema), recipe_sha256: z.string().nullable() });
const StoredRecipeSchema = z.object({ sha256: z.string(), name: z.string().nullable(), source: z.string(), recipe: z.object({ name: z.string().optional(), text_field: z.string().optional(), validation: z.record(z.string(), z.unknown()), steps: z.array(z.object({ kind: z.string(), options: z.unknown() })) }) });

export function registerDatasetRoutes(app: FastifyInstance, datasets: DatasetService): void {
  const typed = app.withTypeProvider<ZodTypeProvider>();
  const security = [{ bearerAuth: [] }];
  const tags = ['datasets'];

  typed.get(
    '/api/v1/datasets',
    { schema: { tags, summary: 'List datasets', security, querystring: ListQuery, response: { 200: z.object({ items: z.array(DatasetSchema), next_cursor: z.string().nullable() }), ...errors } } },
    async (request) => datasets.list(actorOf(request), request.query),
  );

  typed.post(
    '/api/v1/datasets',
    {
      config: { audit: 'datasets.add' },
      schema: {
        tags,
        summary: 'Add a dataset version from an upload (editor) or a server-side path (admin)',
        description:
          'Upload the file with POST /api/v1/uploads, then send {"name", "upload": sha256, "filename", "format"?, "text_field"?, "skip_bad_lines"?}. ' +
          'Same content as an existing version: 200 with that version. Otherwise 202 with a dataset.ingest job; follow it with GET /api/v1/jobs/{id}.',
        security,
        body: AddDatasetInputSchema,
        response: { 200: AddResultSchema, 202: AddResultSchema, ...errors },
      },
    },
    async (request, reply) => {
      const result = await datasets.add(actorOf(request), request.body);
      return reply.status(result.job ? 202 : 200).send(result);
    },
  );

  typed.get(
    '/api/v1/datasets/:name',
    { schema: { tags, summary: "A dataset's latest version", security, params: NameParams, response: { 200: DatasetVersionSchema, ...errors } } },
    async (request) => datasets.get(actorOf(request), request.params.name),
  );

  typed.get(
    '/api/v1/datasets/:name/versions',
    { schema: { tags, summary: "A dataset's versions, newest first", security, params: NameParams, querystring: ListQuery, response: { 200: z.object({ items: z.array(DatasetVersionSchema), next_cursor: z.string().nullable() }), ...errors } } },
    async (request) => datasets.versions(actorOf(request), request.params.name, request.query),
  );

  typed.get(
    '/api/v1/datasets/:name/versions/:version',
    { schema: { tags, summary: 'One version (a number, or latest)', security, params: VersionParams, response: { 200: DatasetVersionSchema, ...errors } } },
    async (request) => datasets.get(actorOf(request), refOf(request.params)),
  );

  typed.delete(
    '/api/v1/datasets/:name/versions/:version',
    {
      config: { audit: 'datasets.delete' },
      schema: { tags, summary: 'Delete one version (editor); refused while other versions depend on it', security, params: VersionParams, response: { 200: DatasetVersionSchema, ...errors } },
    },
    async (request) => datasets.delete(actorOf(request), refOf(request.params)),
  );

  typed.get(
    '/api/v1/datasets/:name/versions/:version/report',
    { schema: { tags, summary: 'Profile and validation report', security, params: VersionParams, response: { 200: DatasetReportSchema, ...errors } } },
    async (request) => datasets.report(actorOf(request), refOf(request.params)),
  );

  typed.post(
    '/api/v1/datasets/:name/versions/:version/transform',
    {
      config: { audit: 'datasets.transform' },
      schema: {
        tags,
        summary: 'Transform a version by a YAML recipe into a new version (editor)',
        description:
          'Send {"recipe": "<YAML text>", "recipe_name"?, "name"?: target dataset, "dry_run"?}. The recipe is checked against this version first: ' +
          '400 dataset_recipe_invalid with details.findings (path, line, column, severity, message, fix) when it has errors. Same parent and recipe as an existing version: 200 with it. ' +
          'Otherwise 202 with a dataset.transform job. With dry_run: 200 {valid, findings, recipe_sha256}, nothing submitted. Format: docs/formats/transform-recipe.md.',
        security,
        params: VersionParams,
        body: TransformInputSchema,
        response: { 200: z.union([AddResultSchema, RecipeCheckSchema]), 202: AddResultSchema, ...errors },
      },
    },
    async (request, reply) => {
      const result = await datasets.transform(actorOf(request), refOf(request.params), request.body);
      return reply.status('job' in result && result.job ? 202 : 200).send(result);
    },
  );

  typed.post(
    '/api/v1/datasets/recipes/validate',
    {
      schema: {
        tags,
        summary: 'Check a transform recipe without running it; against a version when "dataset" (a REF) is given',
        security,
        body: z.object({ recipe: RecipeSourceSchema, dataset: z.string().min(1).optional() }),
        response: { 200: RecipeCheckSchema, ...errors },
      },
    },
    async (request) => datasets.validateRecipe(actorOf(request), request.body.recipe, request.body.dataset),
  );

  typed.get(
    '/api/v1/datasets/:name/versions/:version/recipe',
    { schema: { tags, summary: 'The recipe that made a version (its YAML as written, and the parsed steps)', security, params: VersionParams, response: { 200: StoredRecipeSchema, ...errors } } },
    async (request) => datasets.recipe(actorOf(request), refOf(request.params)),
  );

  typed.get(
    '/api/v1/datasets/:name/versions/:version/preview',
    {
      schema: {
        tags,
        summary: 'Rows, with limit and offset',
        security,
        params: VersionParams,
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(20), offset: z.coerce.number().int().min(0).default(0) }),
        response: { 200: RowsResultSchema.extend({ offset: z.number(), total: z.number() }), ...errors },
      },
    },
    async (request) => datasets.preview(actorOf(request), refOf(request.params), request.query),
  );

  typed.post(
    '/api/v1/datasets/:name/versions/:version/query',
    {
      schema: {
        tags,
        summary: 'Read-only SQL (one SELECT) over the version as the table "data"',
        security,
        params: VersionParams,
        body: QueryInputSchema,
        response: { 200: RowsResultSchema, ...errors },
      },
    },
    async (request) => datasets.query(actorOf(request), refOf(request.params), request.body),
  );

  typed.get(
    '/api/v1/datasets/:name/versions/:version/diff',
    {
      schema: {
        tags,
        summary: 'Rows added and removed (by row hash) from this version to another REF',
        security,
        params: VersionParams,
        querystring: z.object({ to: z.string().min(1), key: z.string().min(1).optional() }),
        response: { 200: DiffResultSchema, ...errors },
      },
    },
    async (request) => datasets.diff(actorOf(request), refOf(request.params), request.query.to, request.query.key),
  );

  typed.get(
    '/api/v1/datasets/:name/versions/:version/download',
    {
      schema: {
        tags,
        summary: 'Export as JSONL or Parquet',
        security,
        params: VersionParams,
        querystring: z.object({ format: z.enum(['jsonl', 'parquet']).default('jsonl') }),
      },
    },
    async (request, reply) => {
      const file = await datasets.export(actorOf(request), refOf(request.params), request.query.format);
      return reply.header('content-type', file.contentType).header('content-disposition', `attachment; filename="${file.filename}"`).send(file.stream);
    },
  );
}
