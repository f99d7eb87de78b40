import { open } from 'node:fs/promises';

/** Flushes a file's bytes to disk; fsync acts on the file, so any descriptor of it will do. */
export async function fsyncFile(file: string): Promise<void> {
  const handle = await open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Flushes a directory's entries to disk, so that a rename into it survives a power loss.
 * Windows cannot open directories for syncing; there the rename is as durable as the OS makes it.
 */
export async function fsyncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  await fsyncFile(dir);
}
