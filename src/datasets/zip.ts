/**
 * A small streaming zip reader: the central directory is read first (so a bad entry name refuses
 * the archive before any work), then each entry is inflated on its own. Stored and deflated
 * entries; no zip64, no encryption. Entry names with `..` segments or absolute paths are refused.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { promisify } from 'node:util';
import { inflateRaw } from 'node:zlib';
import { ValidationError } from '../platform/errors.js';

const inflate = promisify(inflateRaw);

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

const MAX_ENTRY_BYTES = 64 * 1024 * 1024;

function zipError(label: string, why: string): ValidationError {
  return new ValidationError('dataset_zip_invalid', `${label} is not a zip archive Crucible can read: ${why}.`, { file: label });
}

/** The archive's entries (directories left out); refuses unsafe names. */
export async function listZipEntries(file: string, label: string): Promise<ZipEntry[]> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const tailLength = Math.min(size, 65_557);
    const tail = await readAt(handle, size - tailLength, tailLength);
    const eocd = tail.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
    if (eocd < 0) throw zipError(label, 'no end-of-central-directory record (is it a zip file?)');
    const count = tail.readUInt16LE(eocd + 10);
    const dirSize = tail.readUInt32LE(eocd + 12);
    const dirOffset = tail.readUInt32LE(eocd + 16);
    if (dirOffset === 0xffffffff || count === 0xffff) throw zipError(label, 'zip64 archives are not supported; repack it under 4 GB');
    const dir = await readAt(handle, dirOffset, dirSize);
    const entries: ZipEntry[] = [];
    let p = 0;
    for (let i = 0; i < count; i++) {
      if (dir.readUInt32LE(p) !== 0x02014b50) throw zipError(label, 'a corrupt central directory');
      const flags = dir.readUInt16LE(p + 8);
      const method = dir.readUInt16LE(p + 10);
      const compressedSize = dir.readUInt32LE(p + 20);
      const entrySize = dir.readUInt32LE(p + 24);
      const nameLength = dir.readUInt16LE(p + 28);
      const extraLength = dir.readUInt16LE(p + 30);
      const commentLength = dir.readUInt16LE(p + 32);
      const localHeaderOffset = dir.readUInt32LE(p + 42);
      const name = dir.toString('utf8', p + 46, p + 46 + nameLength);
      p += 46 + nameLength + extraLength + commentLength;
      assertSafeName(name, label);
      if (name.endsWith('/')) continue;
      if (flags & 1) throw zipError(label, `entry "${name}" is encrypted`);
      if (method !== 0 && method !== 8) throw zipError(label, `entry "${name}" uses compression method ${method}; only stored and deflated entries are supported`);
      entries.push({ name, method, compressedSize, size: entrySize, localHeaderOffset });
    }
    return entries;
  } finally {
    await handle.close();
  }
}

/** Refuses `../x`, `a/../../x`, `/etc/x`, `C:\x` and backslash-rooted names. */
export function assertSafeName(name: string, label: string): void {
  const parts = name.split(/[\\/]/);
  if (name.startsWith('/') || name.startsWith('\\') || /^[a-zA-Z]:/.test(name) || parts.includes('..')) {
    throw new ValidationError(
      'dataset_zip_unsafe_path',
      `${label} has an entry "${name}" that points outside the archive (absolute path or ".."). Crucible refuses such archives; repack it with relative paths.`,
      { file: label, entry: name },
    );
  }
}

/** One entry's bytes (at most 64 MB each). */
export async function readZipEntry(file: string, entry: ZipEntry, label: string): Promise<Buffer> {
  if (entry.size > MAX_ENTRY_BYTES) throw zipError(label, `entry "${entry.name}" is larger than 64 MB`);
  const handle = await open(file, 'r');
  try {
    const header = await readAt(handle, entry.localHeaderOffset, 30);
    if (header.readUInt32LE(0) !== 0x04034b50) throw zipError(label, `entry "${entry.name}" has no local header`);
    const start = entry.localHeaderOffset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
    const raw = await readAt(handle, start, entry.compressedSize);
    const bytes = entry.method === 0 ? raw : await inflate(raw, { maxOutputLength: MAX_ENTRY_BYTES });
    return bytes;
  } finally {
    await handle.close();
  }
}

async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await handle.read(buffer, 0, length, position);
  return buffer.subarray(0, bytesRead);
}
