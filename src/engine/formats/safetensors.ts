/**
 * Read and write safetensors files (see safetensors-header.ts for the layout).
 *
 * The writer streams each tensor's bytes straight from the caller's typed array (no copy of the whole
 * model) into a temp file, fsyncs it and renames it into place, so a crash never leaves a half-written
 * file under the final name. The reader parses only the header on open and reads each tensor with one
 * positioned read, so a caller can load one tensor of a large file.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { endianness } from 'node:os';
import { IO_CHUNK_BYTES, writeAll, writeFileAtomically } from './atomic-write.js';
import { FormatError } from './format-error.js';
import { bf16ToFloat32, f16ToFloat32 } from './half.js';
import { DTYPES, numel, type SafetensorsDtype, type TensorData } from './safetensors-dtypes.js';
import { buildSafetensorsHeader, headerLength, parseSafetensorsHeader, type TensorEntry } from './safetensors-header.js';

export type { SafetensorsDtype, TensorData } from './safetensors-dtypes.js';

/** A tensor as stored: dtype, shape and its elements in row-major order. */
export interface SafetensorsTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  data: TensorData;
}

/** Typed arrays are in the machine's byte order; safetensors is little-endian. */
function assertLittleEndian(): void {
  if (endianness() !== 'LE') throw new FormatError('bad_input', 'safetensors I/O needs a little-endian machine');
}

/** Writes tensors (and optional string metadata) to `path` atomically: temp file, fsync, rename. */
export async function writeSafetensors(
  path: string,
  tensors: Record<string, SafetensorsTensor> | Map<string, SafetensorsTensor>,
  options: { metadata?: Record<string, string> } = {},
): Promise<void> {
  assertLittleEndian();
  const byName = tensors instanceof Map ? tensors : new Map(Object.entries(tensors));
  for (const [name, t] of byName) checkTensor(name, t);
  if (options.metadata !== undefined) checkMetadata(options.metadata);

  const header = buildSafetensorsHeader([...byName].map(([name, t]) => ({ name, dtype: t.dtype, shape: t.shape })), options.metadata);
  await writeFileAtomically(path, async (file) => {
    await writeAll(file, header.bytes);
    for (const entry of header.entries) {
      const data = byName.get(entry.name)!.data;
      await writeAll(file, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    }
  });
}

function checkTensor(name: string, t: SafetensorsTensor): void {
  if (name === '' || name === '__metadata__') {
    throw new FormatError('bad_input', `safetensors: tensor name ${JSON.stringify(name)} is reserved or empty; rename the tensor`);
  }
  const info = DTYPES[t.dtype];
  if (info === undefined) {
    throw new FormatError('unsupported_dtype', `safetensors: tensor "${name}" has unknown dtype ${String(t.dtype)} (supported: ${Object.keys(DTYPES).join(', ')})`);
  }
  if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new FormatError('bad_input', `safetensors: tensor "${name}" shape ${JSON.stringify(t.shape)} must hold non-negative integers`);
  }
  if (!(t.data instanceof info.array)) {
    throw new FormatError('bad_input', `safetensors: tensor "${name}" is ${t.dtype}, which needs a ${info.array.name}, got ${t.data.constructor.name}`);
  }
  if (t.data.length !== numel(t.shape)) {
    throw new FormatError(
      'bad_input',
      `safetensors: tensor "${name}" shape ${JSON.stringify(t.shape)} has ${numel(t.shape)} elements but its data has ${t.data.length}`,
    );
  }
}

function checkMetadata(metadata: Record<string, string>): void {
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') throw new FormatError('bad_input', `safetensors: metadata "${k}" must be a string, got ${typeof v}`);
  }
}

/** Options for reading a tensor: `float32` decodes F16, BF16 and F64 (and passes F32 through). */
export interface ReadTensorOptions {
  as?: 'stored' | 'float32';
}

/** An open safetensors file: the parsed header, and tensors read on demand. Close it when done. */
export class SafetensorsFile {
  private readonly byName: Map<string, TensorEntry>;

  private constructor(
    readonly path: string,
    private readonly file: FileHandle,
    readonly tensors: readonly TensorEntry[],
    readonly metadata: Record<string, string> | undefined,
    private readonly dataStart: number,
  ) {
    this.byName = new Map(tensors.map((t) => [t.name, t]));
  }

  /** Opens a file and validates its header (offsets in bounds, contiguous, sizes match dtype × shape). */
  static async open(path: string): Promise<SafetensorsFile> {
    assertLittleEndian();
    const file = await open(path, 'r');
    try {
      const size = (await file.stat()).size;
      const prefix = await readExactly(file, 0, Math.min(8, size));
      const n = headerLength(prefix, size, path);
      const json = await readExactly(file, 8, n);
      const header = parseSafetensorsHeader(json, size - 8 - n, path);
      return new SafetensorsFile(path, file, header.tensors, header.metadata, header.dataStart);
    } catch (err) {
      await file.close();
      throw err;
    }
  }

  /** Tensor names in data order. */
  get names(): string[] {
    return this.tensors.map((t) => t.name);
  }

  /** Reads one tensor into a fresh (hence aligned) typed array. */
  async read(name: string, options: ReadTensorOptions = {}): Promise<SafetensorsTensor> {
    const entry = this.byName.get(name);
    if (entry === undefined) {
      throw new FormatError('bad_input', `${this.path}: no tensor named "${name}" (it has ${this.tensors.length}: ${this.names.slice(0, 8).join(', ')}${this.tensors.length > 8 ? ', …' : ''})`);
    }
    const bytes = await readExactly(this.file, this.dataStart + entry.begin, entry.end - entry.begin);
    const info = DTYPES[entry.dtype];
    const data = new info.array(bytes.buffer, bytes.byteOffset, numel(entry.shape));
    if (options.as === 'float32') return { dtype: 'F32', shape: [...entry.shape], data: toFloat32(entry, data, this.path) };
    return { dtype: entry.dtype, shape: [...entry.shape], data };
  }

  /** Reads one floating-point tensor decoded to float32 (F16, BF16, F32, F64). */
  async readFloat32(name: string): Promise<Float32Array> {
    return (await this.read(name, { as: 'float32' })).data as Float32Array;
  }

  async close(): Promise<void> {
    await this.file.close();
  }
}

function toFloat32(entry: TensorEntry, data: TensorData, source: string): Float32Array {
  switch (entry.dtype) {
    case 'F32':
      return data as Float32Array;
    case 'F16':
      return f16ToFloat32(data as Uint16Array);
    case 'BF16':
      return bf16ToFloat32(data as Uint16Array);
    case 'F64':
      return Float32Array.from(data as Float64Array);
    default:
      throw new FormatError('bad_input', `${source}: tensor "${entry.name}" is ${entry.dtype}; only floating-point tensors decode to float32`);
  }
}

/** Reads exactly `length` bytes at `position` into a fresh buffer, or says the file is truncated. */
async function readExactly(file: FileHandle, position: number, length: number): Promise<Uint8Array<ArrayBuffer>> {
  // A fresh ArrayBuffer (not Node's pooled Buffer) so typed-array views over it are aligned.
  const out = new Uint8Array(new ArrayBuffer(length));
  let done = 0;
  while (done < length) {
    const { bytesRead } = await file.read(out, done, Math.min(IO_CHUNK_BYTES, length - done), position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  if (done < length) {
    throw new FormatError('truncated', `file ended after ${done} of ${length} bytes at offset ${position}; it is truncated or being written`);
  }
  return out;
}

/** Reads every tensor of a file (and its metadata). */
export async function readSafetensors(
  path: string,
  options: ReadTensorOptions = {},
): Promise<{ tensors: Map<string, SafetensorsTensor>; metadata: Record<string, string> | undefined }> {
  const file = await SafetensorsFile.open(path);
  try {
    const tensors = new Map<string, SafetensorsTensor>();
    for (const name of file.names) tensors.set(name, await file.read(name, options));
    return { tensors, metadata: file.metadata };
  } finally {
    await file.close();
  }
}
