import type { Database } from '../platform/db/index.js';
import { newId } from '../platform/ids.js';
import { pageOf, type Page, type PageQuery } from '../platform/paging.js';
import { requireRole, type Actor } from './actor.js';
import { AuditOutcomeSchema, type AuditEntry, type AuditOutcome } from './schema.js';

export interface AuditRecord {
  actor: Pick<Actor, 'id' | 'name'> | null;
  /** What was attempted, e.g. `keys.create` or `POST /api/v1/keys`. */
  action: string;
  target?: string | null;
  outcome: AuditOutcome;
  status?: number | null;
  requestId?: string | null;
  details?: Record<string, unknown> | null;
}

/** Append-only record of state-changing calls: who, what, when, outcome. */
export class AuditLog {
  constructor(private readonly database: Database) {}

  async record(entry: AuditRecord): Promise<void> {
    await this.database.db
      .insertInto('audit_log')
      .values({
        id: newId('aud'),
        at: new Date().toISOString(),
        actor_id: entry.actor?.id ?? null,
        actor_name: entry.actor?.name ?? null,
        action: entry.action,
        target: entry.target ?? null,
        outcome: entry.outcome,
        status: entry.status ?? null,
        request_id: entry.requestId ?? null,
        details: entry.details ? JSON.stringify(entry.details) : null,
      })
      .execute();
  }

  /** Newest first. Admin only. */
  async list(actor: Actor, query: PageQuery & { action?: string } = {}): Promise<Page<AuditEntry>> {
    requireRole(actor, 'admin', 'Reading the audit log');
    let q = this.database.db.selectFrom('audit_log').selectAll().orderBy('id', 'desc');
    if (query.cursor) q = q.where('id', '<', query.cursor);
    if (query.action) q = q.where('action', '=', query.action);
    const limit = query.limit ?? 100;
    const rows = await q.limit(limit + 1).execute();
    const entries = rows.map(
      (row): AuditEntry => ({
        ...row,
        outcome: AuditOutcomeSchema.parse(row.outcome),
        status: row.status === null ? null : Number(row.status),
        details: row.details ? (JSON.parse(row.details) as Record<string, unknown>) : null,
      }),
    );
    return pageOf(entries, limit, (entry) => entry.id);
  }
}
