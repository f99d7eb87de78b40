// Fails (exit 1) when CI=true and PostgreSQL or Redis named by CRUCIBLE_TEST_* is unreachable.
import net from 'node:net';

function reachable(url) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port) }, () => {
      socket.end();
      resolve(true);
    });
    socket.setTimeout(3000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.on('error', () => resolve(false));
  });
}

const services = {
  CRUCIBLE_TEST_POSTGRES_URL: process.env.CRUCIBLE_TEST_POSTGRES_URL,
  CRUCIBLE_TEST_REDIS_URL: process.env.CRUCIBLE_TEST_REDIS_URL,
};
let failed = false;
for (const [name, url] of Object.entries(services)) {
  if (!url) continue;
  const ok = await reachable(url);
  console.log(`${name}=${url}: ${ok ? 'reachable' : 'UNREACHABLE'}`);
  if (!ok && process.env.CI === 'true') failed = true;
}
if (failed) {
  console.error('CI=true requires PostgreSQL and Redis for the team-mode tests; start them and run again.');
  process.exit(1);
}
