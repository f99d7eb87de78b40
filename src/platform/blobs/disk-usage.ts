import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

/** Total size in bytes of the files under `dir` (0 when it does not exist); for tests and diagnostics. */
export async function diskUsage(dir: string): Promise<number> {
  let total = 0;
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) total += await diskUsage(full);
    else if (entry.isFile()) total += await stat(full).then((s) => s.size, () => 0);
  }
  return total;
}
