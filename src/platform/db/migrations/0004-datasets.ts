import type { Kysely } from 'kysely';

/**
 * Datasets (src/datasets): a name, and its immutable, content-addressed versions. A version's
 * `content_key` (sha256 of the source bytes and the ingest options) is unique per dataset, so adding
 * the same content twice finds the existing version. `parent_version_id` links a derived version
 * (a transform's output) to its input; deletion refuses while a child points at a version.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('datasets')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    // The highest version number ever given: numbers are never reused, even after a deletion.
    .addColumn('last_version', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .execute();
  await db.schema
    .createTable('dataset_versions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('dataset_id', 'text', (c) => c.notNull().references('datasets.id'))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('content_key', 'text', (c) => c.notNull())
    .addColumn('format', 'text', (c) => c.notNull())
    .addColumn('text_field', 'text', (c) => c.notNull())
    .addColumn('source_name', 'text')
    .addColumn('source_sha256', 'text', (c) => c.notNull())
    .addColumn('source_size', 'integer', (c) => c.notNull())
    .addColumn('parquet_sha256', 'text', (c) => c.notNull())
    .addColumn('parquet_size', 'integer', (c) => c.notNull())
    .addColumn('records', 'integer', (c) => c.notNull())
    .addColumn('skipped_lines', 'integer', (c) => c.notNull())
    .addColumn('options', 'text', (c) => c.notNull())
    .addColumn('profile', 'text', (c) => c.notNull())
    .addColumn('findings', 'text', (c) => c.notNull())
    .addColumn('parent_version_id', 'text')
    .addColumn('recipe', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addUniqueConstraint('dataset_versions_number_uq', ['dataset_id', 'version'])
    .addUniqueConstraint('dataset_versions_content_uq', ['dataset_id', 'content_key'])
    .execute();
  await db.schema.createIndex('dataset_versions_parent_idx').on('dataset_versions').column('parent_version_id').execute();
  await db.schema.createIndex('dataset_versions_parquet_idx').on('dataset_versions').column('parquet_sha256').execute();
  await db.schema.createIndex('dataset_versions_source_idx').on('dataset_versions').column('source_sha256').execute();
}
