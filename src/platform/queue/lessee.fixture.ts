/**
 * One OS process leasing and completing jobs from a SQLite file that others lease from too
 * (db-queue.test.ts starts several). Usage: node --import tsx lessee.fixture.ts <home> <name>
 * Leases until the queue has stayed empty for a while, then prints the completed job ids as one
 * JSON line and exits 0; prints the error's code and exits 1 on any error.
 */
import { loadConfig } from '../config.js';
import { openDatabase } from '../db/open.js';
import { DbQueue } from './db-queue.js';

const [home, name] = process.argv.slice(2);
const database = await openDatabase(loadConfig({ env: {}, cwd: home!, overrides: { home } }));
const queue = new DbQueue(database);
const completed: string[] = [];
try {
  for (let idle = 0; idle < 40; ) {
    const leased = await queue.lease(name!, { resources: { cpu: 1, memoryMb: 1_024, gpus: 0 } });
    if (!leased) {
      idle++;
      await new Promise((resolve) => setTimeout(resolve, 25));
      continue;
    }
    idle = 0;
    await queue.complete(leased.job.id, leased.leaseToken, { by: name! });
    completed.push(leased.job.id);
  }
  console.log(JSON.stringify({ name, completed }));
} catch (err) {
  console.error(JSON.stringify({ name, code: (err as { code?: unknown }).code, message: (err as Error).message }));
  process.exitCode = 1;
} finally {
  await database.close();
}
