/**
 * Atomic file and folder creation for exporters: bytes go to a temp name beside the target, are fsynced,
 * and only then renamed into place, so a crash or a thrown error never leaves a half-written model under
 * the final name (readers such as llama.cpp would otherwise load a truncated file).
 */
import { randomUUID } from 'node:crypto';
import { access, mkdir, open, readdir, rename, rm, rmdir, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { FormatError } from './format-error.js';

/** Node caps one read or write at 2 GiB; larger buffers go through in 1 GiB pieces. */
export const IO_CHUNK_BYTES = 2 ** 30;

/** Writes all of `bytes` at the handle's current position. */
export async function writeAll(file: FileHandle, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) {
    const { bytesWritten } = await file.write(bytes, written, Math.min(IO_CHUNK_BYTES, bytes.length - written));
    written += bytesWritten;
  }
}

const tempName = (path: string): string => join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomUUID()}`);

/** Runs `fill` on a temp file, fsyncs it and renames it to `path`; on any error the temp file is removed. */
export async function writeFileAtomically(path: string, fill: (file: FileHandle) => Promise<void>): Promise<void> {
  const temp = tempName(path);
  const file = await open(temp, 'wx');
  try {
    await fill(file);
    await file.sync();
    await file.close();
    await rename(temp, path);
  } catch (err) {
    await file.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw err;
  }
  await syncDirectory(dirname(path));
}

/**
 * Builds a folder under a temp name and renames it to `dir` once `fill` succeeded. `dir` may exist only
 * if it is empty (an export never mixes its files with someone else's).
 */
export async function writeFolderAtomically(dir: string, fill: (tempDir: string) => Promise<void>): Promise<void> {
  const existing = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (existing !== undefined && existing.length > 0) {
    throw new FormatError('bad_input', `${dir} already exists and is not empty (${existing.slice(0, 4).join(', ')}…); export into a new or empty folder`);
  }
  await buildFolder(dir, fill, existing !== undefined);
}

/**
 * Builds a folder as writeFolderAtomically does, but `dir` must not exist at all: adapters and checkpoints
 * are never overwritten. `existsError` gives the caller's own error for an existing `dir`.
 */
export async function writeNewFolderAtomically(dir: string, fill: (tempDir: string) => Promise<void>, existsError?: () => Error): Promise<void> {
  const exists = await access(dir).then(
    () => true,
    () => false,
  );
  if (exists) throw existsError?.() ?? new FormatError('bad_input', `${dir} already exists; adapters and checkpoints are never overwritten, save to a new directory`);
  await buildFolder(dir, fill, false);
}

/** `fill` on a temp sibling of `dir`, then the rename (over `dir` when `replaceEmpty`); on error the temp folder is removed. */
async function buildFolder(dir: string, fill: (tempDir: string) => Promise<void>, replaceEmpty: boolean): Promise<void> {
  await mkdir(dirname(dir), { recursive: true });
  const temp = tempName(dir);
  await mkdir(temp);
  try {
    await fill(temp);
    if (replaceEmpty) await rmdir(dir);
    await rename(temp, dir);
  } catch (err) {
    await rm(temp, { recursive: true, force: true });
    throw err;
  }
  await syncDirectory(dirname(dir));
}

/** Writes a new text file (never over an existing one) and fsyncs it. */
export async function writeTextDurably(path: string, text: string): Promise<void> {
  const file = await open(path, 'wx');
  try {
    await file.writeFile(text, 'utf8');
    await file.sync();
  } finally {
    await file.close();
  }
}

/** Makes a rename durable; not every platform can fsync a directory, which is fine. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r').catch(() => undefined);
  if (handle === undefined) return;
  await handle.sync().catch(() => undefined);
  await handle.close();
}
