import { z } from 'zod';
import { requireRole, type Actor } from '../auth/index.js';
import type { Database } from '../platform/db/index.js';
import type { Resources } from '../platform/queue/index.js';

export const WorkerViewSchema = z.object({
  id: z.string(),
  host: z.string(),
  pid: z.number(),
  state: z.enum(['active', 'lost', 'stopped']),
  resources: z.object({ cpu: z.number(), memoryMb: z.number(), gpus: z.number() }),
  types: z.array(z.string()),
  concurrency: z.number(),
  running: z.array(z.object({ jobId: z.string(), type: z.string(), attempt: z.number() })),
  started_at: z.string(),
  last_seen_at: z.string(),
  stopped_at: z.string().nullable(),
});
export type WorkerView = z.infer<typeof WorkerViewSchema>;

/** What a worker says about itself when it registers and on each heartbeat. */
export interface WorkerPresence {
  id: string;
  host: string;
  pid: number;
  resources: Resources;
  types: string[];
  concurrency: number;
  running: WorkerView['running'];
}

/**
 * Workers register with what they offer and heartbeat what they run, so `GET /api/v1/workers` can
 * show the fleet. A worker not heard from for `lostAfterMs` is `lost` (killed or cut off); its jobs
 * return to the queue through their leases, independently of this table.
 */
export class WorkerRegistry {
  constructor(
    private readonly database: Database,
    private readonly lostAfterMs = 30_000,
  ) {}

  async register(worker: WorkerPresence): Promise<void> {
    const now = new Date().toISOString();
    const row = {
      id: worker.id,
      host: worker.host,
      pid: worker.pid,
      resources: JSON.stringify(worker.resources),
      types: JSON.stringify(worker.types),
      running: JSON.stringify(worker.running),
      concurrency: worker.concurrency,
      started_at: now,
      last_seen_at: now,
      stopped_at: null,
    };
    await this.database.db
      .insertInto('workers')
      .values(row)
      .onConflict((oc) => oc.column('id').doUpdateSet({ ...row, started_at: now }))
      .execute();
  }

  async heartbeat(id: string, running: WorkerView['running']): Promise<void> {
    await this.database.db
      .updateTable('workers')
      .set({ last_seen_at: new Date().toISOString(), running: JSON.stringify(running) })
      .where('id', '=', id)
      .execute();
  }

  async stopped(id: string): Promise<void> {
    const now = new Date().toISOString();
    await this.database.db.updateTable('workers').set({ stopped_at: now, last_seen_at: now, running: '[]' }).where('id', '=', id).execute();
  }

  /** Active and lost workers, newest first; stopped ones too when asked. Viewers may read. */
  async list(actor: Actor, options: { includeStopped?: boolean } = {}): Promise<WorkerView[]> {
    requireRole(actor, 'viewer', 'Listing workers');
    let query = this.database.db.selectFrom('workers').selectAll().orderBy('started_at', 'desc');
    if (!options.includeStopped) query = query.where('stopped_at', 'is', null);
    const rows = await query.limit(1000).execute();
    const lostBefore = Date.now() - this.lostAfterMs;
    return rows.map((row) => ({
      id: row.id,
      host: row.host,
      pid: Number(row.pid),
      state: row.stopped_at ? 'stopped' : Date.parse(row.last_seen_at) < lostBefore ? 'lost' : 'active',
      resources: JSON.parse(row.resources) as Resources,
      types: JSON.parse(row.types) as string[],
      concurrency: Number(row.concurrency),
      running: JSON.parse(row.running) as WorkerView['running'],
      started_at: row.started_at,
      last_seen_at: row.last_seen_at,
      stopped_at: row.stopped_at,
    }));
  }
}
