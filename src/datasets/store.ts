/**
 * Dataset rows in the metadata db. Rows become domain objects here; the rest of the domain never
 * sees a row. Versions are only ever inserted complete (after ingest), so readers never see a
 * half-made one.
 */
import type { Transaction } from 'kysely';
import type { Database } from '../platform/db/index.js';
import type { DatasetVersionsTable, Tables } from '../platform/db/tables.js';
import { newId } from '../platform/ids.js';
import { formatRef } from './ref.js';
import type { Dataset, DatasetFormat, DatasetVersion } from './schema.js';
import type { DatasetProfile } from './profile.js';
import type { Finding } from './validation/index.js';

/** A version as the domain uses it: the view plus what reports and queries need. */
export interface StoredVersion extends DatasetVersion {
  datasetId: string;
  contentKey: string;
  profile: DatasetProfile;
  findings: Finding[];
  parentId: string | null;
  /** The recipe that derived this version (transforms/run-transform.ts StoredRecipe), as stored. */
  recipeDocument: Record<string, unknown> | null;
}

export type NewVersion = Omit<DatasetVersionsTable, 'id' | 'dataset_id' | 'version' | 'created_at' | 'created_by'>;

type VersionRow = DatasetVersionsTable & { name: string };

function toVersion(row: VersionRow, parentRef: string | null): StoredVersion {
  const profile = JSON.parse(row.profile) as DatasetProfile;
  const recipe = row.recipe ? (JSON.parse(row.recipe) as { sha256: string; name: string | null; recipe: { steps: Array<{ kind: string }> } } & Record<string, unknown>) : null;
  return {
    id: row.id,
    dataset: row.name,
    version: row.version,
    ref: formatRef(row.name, row.version),
    format: row.format as DatasetFormat,
    text_field: row.text_field,
    source_name: row.source_name,
    source_sha256: row.source_sha256,
    source_size: Number(row.source_size),
    parquet_sha256: row.parquet_sha256,
    parquet_size: Number(row.parquet_size),
    records: Number(row.records),
    skipped_lines: Number(row.skipped_lines),
    columns: profile.columns.map(({ name, type, nulls }) => ({ name, type, nulls })),
    parent: parentRef,
    recipe: recipe ? { sha256: recipe.sha256, name: recipe.name, steps: recipe.recipe.steps.map((s) => s.kind) } : null,
    created_at: row.created_at,
    created_by: row.created_by,
    datasetId: row.dataset_id,
    contentKey: row.content_key,
    profile,
    findings: JSON.parse(row.findings) as Finding[],
    parentId: row.parent_version_id,
    recipeDocument: recipe,
  };
}

export class DatasetStore {
  constructor(private readonly database: Database) {}

  private versions() {
    return this.database.db.selectFrom('dataset_versions as v').innerJoin('datasets as d', 'd.id', 'v.dataset_id').selectAll('v').select('d.name');
  }

  private async withParent(row: VersionRow | undefined): Promise<StoredVersion | null> {
    if (!row) return null;
    let parentRef: string | null = null;
    if (row.parent_version_id) {
      const parent = await this.versions().where('v.id', '=', row.parent_version_id).executeTakeFirst();
      parentRef = parent ? formatRef(parent.name, parent.version) : null;
    }
    return toVersion(row, parentRef);
  }

  /** `version` 'latest' is the highest number. */
  async findVersion(name: string, version: number | 'latest'): Promise<StoredVersion | null> {
    let query = this.versions().where('d.name', '=', name);
    query = version === 'latest' ? query.orderBy('v.version', 'desc').limit(1) : query.where('v.version', '=', version);
    return this.withParent(await query.executeTakeFirst());
  }

  async findById(id: string): Promise<StoredVersion | null> {
    return this.withParent(await this.versions().where('v.id', '=', id).executeTakeFirst());
  }

  async findByContent(name: string, contentKey: string): Promise<StoredVersion | null> {
    return this.withParent(await this.versions().where('d.name', '=', name).where('v.content_key', '=', contentKey).executeTakeFirst());
  }

  async datasetExists(name: string): Promise<boolean> {
    return (await this.database.db.selectFrom('datasets').select('id').where('name', '=', name).executeTakeFirst()) !== undefined;
  }

  /**
   * Inserts the next version of `name` (creating the dataset on first use). Returns the existing
   * version instead when the same content was added meanwhile (same content key).
   */
  async insertVersion(name: string, createdBy: string | null, fields: NewVersion): Promise<{ version: StoredVersion; created: boolean }> {
    const id = await this.database.transaction(async (trx) => {
      const datasetId = await this.ensureDataset(trx, name, createdBy);
      const existing = await trx.selectFrom('dataset_versions').select('id').where('dataset_id', '=', datasetId).where('content_key', '=', fields.content_key).executeTakeFirst();
      if (existing) return { id: existing.id, created: false };
      // Bumping the counter first also serialises concurrent inserts into one dataset on PostgreSQL.
      await trx.updateTable('datasets').set((eb) => ({ last_version: eb('last_version', '+', 1) })).where('id', '=', datasetId).execute();
      const { last_version } = await trx.selectFrom('datasets').select('last_version').where('id', '=', datasetId).executeTakeFirstOrThrow();
      const versionId = newId('dsv');
      await trx
        .insertInto('dataset_versions')
        .values({ ...fields, id: versionId, dataset_id: datasetId, version: Number(last_version), created_at: new Date().toISOString(), created_by: createdBy })
        .execute();
      return { id: versionId, created: true };
    });
    return { version: (await this.findById(id.id))!, created: id.created };
  }

  private async ensureDataset(trx: Transaction<Tables>, name: string, createdBy: string | null): Promise<string> {
    const found = await trx.selectFrom('datasets').select('id').where('name', '=', name).executeTakeFirst();
    if (found) return found.id;
    const id = newId('ds');
    await trx.insertInto('datasets').values({ id, name, last_version: 0, created_at: new Date().toISOString(), created_by: createdBy }).execute();
    return id;
  }

  /** Datasets by name, with their latest version number. */
  async listDatasets(limit: number, afterName?: string): Promise<Dataset[]> {
    let query = this.database.db
      .selectFrom('datasets as d')
      .leftJoin('dataset_versions as v', 'v.dataset_id', 'd.id')
      .select(['d.id', 'd.name', 'd.created_at'])
      .select((eb) => [eb.fn.max('v.version').as('latest'), eb.fn.count('v.id').as('versions')])
      .groupBy(['d.id', 'd.name', 'd.created_at'])
      .orderBy('d.name')
      .limit(limit);
    if (afterName !== undefined) query = query.where('d.name', '>', afterName);
    const rows = await query.execute();
    return rows.map((r) => ({ id: r.id, name: r.name, created_at: r.created_at, latest_version: r.latest === null ? null : Number(r.latest), versions: Number(r.versions) }));
  }

  /** Newest first. */
  async listVersions(name: string, limit: number, beforeVersion?: number): Promise<StoredVersion[]> {
    let query = this.versions().where('d.name', '=', name).orderBy('v.version', 'desc').limit(limit);
    if (beforeVersion !== undefined) query = query.where('v.version', '<', beforeVersion);
    const rows = await query.execute();
    return Promise.all(rows.map((r) => this.withParent(r).then((v) => v!)));
  }

  /** REFs of the versions derived from this one. */
  async childrenOf(versionId: string): Promise<string[]> {
    const rows = await this.versions().where('v.parent_version_id', '=', versionId).execute();
    return rows.map((r) => formatRef(r.name, r.version));
  }

  /** Whether any version still refers to this blob (as its Parquet or its source). */
  async blobInUse(sha256: string): Promise<boolean> {
    const row = await this.database.db
      .selectFrom('dataset_versions')
      .select('id')
      .where((eb) => eb.or([eb('parquet_sha256', '=', sha256), eb('source_sha256', '=', sha256)]))
      .executeTakeFirst();
    return row !== undefined;
  }

  async deleteVersion(versionId: string): Promise<void> {
    await this.database.transaction(async (trx) => {
      await trx.deleteFrom('dataset_versions').where('id', '=', versionId).execute();
    });
  }
}
