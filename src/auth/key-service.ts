import type { Database } from '../platform/db/index.js';
import { ConflictError, NotFoundError, UnauthenticatedError } from '../platform/errors.js';
import { newId } from '../platform/ids.js';
import { requireRole, type Actor } from './actor.js';
import { generateKeySecret, hashKey, looksLikeKey } from './api-key-secret.js';
import { AuthCache } from './auth-cache.js';
import { pageOf, type Page, type PageQuery } from '../platform/paging.js';
import { CreateKeyInputSchema, RoleSchema, type ApiKey, type CreatedKey } from './schema.js';

/** How often a key's last_used_at is written: per request would turn every read into a write. */
const LAST_USED_WRITE_INTERVAL_MS = 60_000;

/** One message for every failed authentication, so a caller learns nothing about which keys exist. */
const BAD_KEY = 'Invalid or revoked API key. Pass a valid key as "Authorization: Bearer <key>" (crucible keys create makes one).';

/** API keys: create (shown once), list, revoke, and authenticate a presented key. */
export class KeyService {
  private readonly lastUsedWritten = new Map<string, number>();

  constructor(
    private readonly database: Database,
    private readonly cache = new AuthCache(),
  ) {}

  /** Creates a key; the returned `key` is the only time the secret exists outside the caller. Admin only. */
  async create(actor: Actor, input: unknown): Promise<CreatedKey> {
    requireRole(actor, 'admin', 'Creating API keys');
    const { name, role } = CreateKeyInputSchema.parse(input);
    return this.insert(name, role, actor.id === 'system' ? null : actor.id);
  }

  /** Lists keys, oldest first, never with their secrets. Admin only. */
  async list(actor: Actor, query: PageQuery = {}): Promise<Page<ApiKey>> {
    requireRole(actor, 'admin', 'Listing API keys');
    let q = this.database.db.selectFrom('api_keys').selectAll().orderBy('id', 'asc');
    if (query.cursor) q = q.where('id', '>', query.cursor);
    const limit = query.limit ?? 100;
    const rows = await q.limit(limit + 1).execute();
    return pageOf(rows.map(toApiKey), limit, (key) => key.id);
  }

  /**
   * Revokes a key (idempotent: revoking a revoked key returns it unchanged). Admin only. Refuses to revoke
   * the last active admin key, which would lock everyone out of key management.
   */
  async revoke(actor: Actor, id: string): Promise<ApiKey> {
    requireRole(actor, 'admin', 'Revoking API keys');
    return this.database.transaction(async (trx) => {
      const row = await trx.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
      if (!row) throw new NotFoundError('key_not_found', `No API key with id ${id}. List keys with: crucible keys list`, { id });
      if (row.revoked_at) return toApiKey(row);
      if (row.role === 'admin') {
        const admins = await trx
          .selectFrom('api_keys')
          .select((eb) => eb.fn.countAll<string | number>().as('n'))
          .where('role', '=', 'admin')
          .where('revoked_at', 'is', null)
          .executeTakeFirstOrThrow();
        if (Number(admins.n) <= 1) {
          throw new ConflictError(
            'last_admin_key',
            'This is the last active admin key; revoking it would lock key management. Create another admin key first.',
            { id },
          );
        }
      }
      const revokedAt = new Date().toISOString();
      await trx.updateTable('api_keys').set({ revoked_at: revokedAt }).where('id', '=', id).execute();
      this.cache.evictKey(id);
      return toApiKey({ ...row, revoked_at: revokedAt });
    });
  }

  /**
   * The actor of a key authenticated in the last moments (the auth cache), without waiting for anything;
   * undefined means "call authenticate()". Lets the API answer most requests without an async hop.
   */
  cachedActor(presented: string | undefined): Actor | undefined {
    if (!presented) return undefined;
    const cached = this.cache.get(presented);
    if (cached) this.touch(cached.id).catch(() => undefined); // best effort: last_used_at is informational
    return cached;
  }

  /** The actor behind a presented key; UnauthenticatedError (one message for every reason) otherwise. */
  async authenticate(presented: string | undefined): Promise<Actor> {
    if (!presented) throw new UnauthenticatedError();
    if (!looksLikeKey(presented)) throw new UnauthenticatedError('invalid_api_key', BAD_KEY);
    const cached = this.cache.get(presented);
    if (cached) {
      await this.touch(cached.id);
      return cached;
    }
    const keyHash = hashKey(presented);
    const row = await this.database.db
      .selectFrom('api_keys')
      .select(['id', 'name', 'role', 'revoked_at'])
      .where('key_hash', '=', keyHash)
      .executeTakeFirst();
    if (!row || row.revoked_at) throw new UnauthenticatedError('invalid_api_key', BAD_KEY);
    const actor: Actor = { id: row.id, name: row.name, role: RoleSchema.parse(row.role) };
    this.cache.set(presented, actor);
    await this.touch(row.id);
    return actor;
  }

  /** Number of keys ever created (revoked included): zero means a brand-new installation. */
  async countAll(): Promise<number> {
    const row = await this.database.db
      .selectFrom('api_keys')
      .select((eb) => eb.fn.countAll<string | number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Used by first-start bootstrap, which runs before any key (and so any actor) exists. */
  async createInitialAdmin(): Promise<CreatedKey> {
    return this.insert('admin', 'admin', null);
  }

  private async insert(name: string, role: ApiKey['role'], createdBy: string | null): Promise<CreatedKey> {
    const secret = generateKeySecret();
    const row = {
      id: newId('key'),
      name,
      role,
      prefix: secret.prefix,
      key_hash: secret.hash,
      created_at: new Date().toISOString(),
      created_by: createdBy,
      last_used_at: null,
      revoked_at: null,
    };
    await this.database.transaction((trx) => trx.insertInto('api_keys').values(row).execute());
    return { ...toApiKey(row), key: secret.key };
  }

  private async touch(id: string): Promise<void> {
    const now = Date.now();
    if (now - (this.lastUsedWritten.get(id) ?? 0) < LAST_USED_WRITE_INTERVAL_MS) return;
    this.lastUsedWritten.set(id, now);
    await this.database.db.updateTable('api_keys').set({ last_used_at: new Date(now).toISOString() }).where('id', '=', id).execute();
  }

}

type KeyRow = {
  id: string;
  name: string;
  role: string;
  prefix: string;
  created_at: string;
  created_by: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
};

function toApiKey(row: KeyRow): ApiKey {
  return {
    id: row.id,
    name: row.name,
    role: RoleSchema.parse(row.role),
    prefix: row.prefix,
    created_at: row.created_at,
    created_by: row.created_by,
    last_used_at: row.last_used_at,
    revoked_at: row.revoked_at,
  };
}
