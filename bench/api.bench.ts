// npm run bench:api — requests/s of an authenticated GET (/api/v1/me: key lookup in the db, role, JSON)
// at concurrency 32, against a bare Fastify hello-world measured in the same run on the same machine.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { spawnServer } from './support/child-server.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const CONNECTIONS = 32;
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

async function measure(url: string, headers: Record<string, string> = {}): Promise<number> {
  const run = (duration: number) => autocannon({ url, connections: CONNECTIONS, duration, headers });
  await run(2); // warm-up: JIT, connection pool, SQLite page cache
  const result = await run(DURATION_S);
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return result.requests.average;
}

const crucible = await spawnServer<{ url: string; key: string }>(path.join(here, 'support/crucible-server.ts'));
const bare = await spawnServer<{ url: string }>(path.join(here, 'support/bare-fastify.ts'));
try {
  // Alternate the two and keep each one's best round, so a noisy moment does not decide the ratio.
  let rps = 0;
  let rpsFastify = 0;
  for (let round = 1; round <= ROUNDS; round++) {
    const ours = await measure(`${crucible.info.url}/api/v1/me`, { authorization: `Bearer ${crucible.info.key}` });
    const peer = await measure(`${bare.info.url}/`);
    console.log(`round ${round}: crucible ${ours.toFixed(0)} req/s, bare fastify ${peer.toFixed(0)} req/s`);
    rps = Math.max(rps, ours);
    rpsFastify = Math.max(rpsFastify, peer);
  }
  const ratio = rps / rpsFastify;
  console.log(`authenticated GET: ${rps.toFixed(0)} req/s; bare Fastify: ${rpsFastify.toFixed(0)} req/s; ratio ${ratio.toFixed(2)} (target ≥ 0.5)`);
  console.log(`BENCH ${JSON.stringify({ name: 'api', rps: Math.round(rps), rps_fastify: Math.round(rpsFastify), ratio_vs_fastify: Number(ratio.toFixed(3)), connections: CONNECTIONS, duration_s: DURATION_S })}`);
} finally {
  await crucible.stop();
  await bare.stop();
}
