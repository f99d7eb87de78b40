/**
 * Row types of the metadata database, one interface per table, named `<Name>Table`.
 * Column conventions (ids text, timestamps ISO-8601 UTC text, booleans 0/1, JSON text) are
 * documented in migrations/index.ts. A migration that adds a table adds its interface here.
 */

/** API keys. The key itself is never stored: only its sha256 and its first characters. */
export interface ApiKeysTable {
  id: string;
  name: string;
  /** viewer | editor | admin */
  role: string;
  /** The first characters of the key, shown in listings so a user can tell keys apart. */
  prefix: string;
  /** sha256 hex of the full key; unique. */
  key_hash: string;
  created_at: string;
  created_by: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
}

/** Who did what, when, with which outcome. Append-only. */
export interface AuditLogTable {
  id: string;
  at: string;
  actor_id: string | null;
  actor_name: string | null;
  /** e.g. `keys.create` */
  action: string;
  target: string | null;
  /** success | denied | failed */
  outcome: string;
  /** The HTTP status, when the action came through the API. */
  status: number | null;
  request_id: string | null;
  /** JSON text. */
  details: string | null;
}

/** Every table, by name: the type parameter of `Kysely<Tables>`. Later migrations extend this. */
export interface Tables {
  api_keys: ApiKeysTable;
  audit_log: AuditLogTable;
}
