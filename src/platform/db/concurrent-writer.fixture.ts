/**
 * One of several OS processes writing to the same SQLite file at once (sqlite.test.ts starts them).
 * Usage: node --import tsx concurrent-writer.fixture.ts <home> <writer> <transactions>
 * Opens the database like the server does (so the processes also race to migrate a fresh file),
 * then runs <transactions> write transactions and plain inserts; prints one JSON line and exits 0,
 * or prints the error's code and exits 1.
 */
import { loadConfig } from '../config.js';
import { newId } from '../ids.js';
import { openDatabase } from './open.js';

const [home, writer, count] = process.argv.slice(2);
const transactions = Number(count);

const database = await openDatabase(loadConfig({ env: {}, cwd: home!, overrides: { home } }));
try {
  for (let i = 0; i < transactions; i++) {
    const at = new Date().toISOString();
    // A transaction that reads then writes: the pattern a deferred BEGIN turns into SQLITE_BUSY.
    await database.transaction(async (trx) => {
      await trx.selectFrom('audit_log').select('id').where('actor_id', '=', writer!).orderBy('at', 'desc').limit(1).execute();
      await trx.insertInto('audit_log').values({ id: newId('aud'), at, actor_id: writer!, actor_name: null, action: 'test.write', target: String(i), outcome: 'success', status: 200, request_id: null, details: null }).execute();
    });
    // A plain single-statement write must wait for the lock too.
    if (i % 10 === 0) {
      await database.db.insertInto('audit_log').values({ id: newId('aud'), at, actor_id: writer!, actor_name: null, action: 'test.plain', target: String(i), outcome: 'success', status: null, request_id: null, details: null }).execute();
    }
  }
  console.log(JSON.stringify({ writer, transactions }));
} catch (err) {
  console.error(JSON.stringify({ writer, code: (err as { code?: unknown }).code, message: (err as Error).message }));
  process.exitCode = 1;
} finally {
  await database.close();
}
