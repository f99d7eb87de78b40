import type { Migration } from 'kysely';
import * as initial from './0001-initial.js';
import * as jobs from './0002-jobs.js';
import * as jobEvents from './0003-job-events.js';
import * as datasets from './0004-datasets.js';
import * as workflows from './0005-workflows.js';
import * as runs from './0006-runs.js';
import * as workers from './0007-workers.js';

/**
 * Every migration, in order. One set serves SQLite and PostgreSQL, so they use only what both
 * engines share. Column conventions:
 *   - ids are `text` (ULIDs from `newId(prefix)` in platform/ids.ts), never auto-increment integers;
 *   - timestamps are `text`, ISO-8601 UTC from `new Date().toISOString()` (so they sort as strings);
 *   - booleans are `integer` 0/1;
 *   - JSON is `text` (JSON.stringify / JSON.parse at the store's edge);
 *   - other integers are `integer`; COUNT(*) comes back as a number on both engines (see postgres.ts).
 * Rules:
 *   - forward-only: no `down`. To undo, write a new migration;
 *   - a released migration never changes: fix it with a new one;
 *   - name `NNNN-what-it-does`, next number, listed here (no directory scanning), and add the
 *     table's row type to tables.ts.
 */
export const migrations: Readonly<Record<string, Migration>> = {
  '0001-initial': initial,
  '0002-jobs': jobs,
  '0003-job-events': jobEvents,
  '0004-datasets': datasets,
  '0005-workflows': workflows,
  '0006-runs': runs,
  '0007-workers': workers,
};
