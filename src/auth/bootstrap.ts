import { chmodSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { KeyService } from './key-service.js';

export const ADMIN_KEY_FILE = 'admin.key';

/**
 * On first start (no key was ever created) make an admin key and write it to `$CRUCIBLE_HOME/admin.key`
 * with mode 0600, so the local CLI works with no setup. Returns the key when one was made (the caller
 * prints it once), else null.
 */
export async function bootstrapAdminKey(keys: KeyService, home: string): Promise<string | null> {
  if ((await keys.countAll()) > 0) return null;
  const created = await keys.createInitialAdmin();
  writeSecretFile(path.join(home, ADMIN_KEY_FILE), `${created.key}\n`);
  return created.key;
}

/** Atomic write of a file only its owner can read: temp file created 0600, then rename. */
export function writeSecretFile(file: string, contents: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, contents, { mode: 0o600 });
  chmodSync(temp, 0o600); // umask cannot widen it, but an existing temp could have other bits
  renameSync(temp, file);
}
