/**
 * Reads GGUF files (layout in gguf-writer.ts). `GgufFile.open` parses the header (metadata and tensor
 * infos) and checks every tensor lies inside the file; tensors are read on demand with one positioned
 * read each. Versions 2 and 3 share this layout (v1 used 32-bit counts and is refused).
 */
import { open, type FileHandle } from 'node:fs/promises';
import { FormatError } from './format-error.js';
import { GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC, GGUF_VALUE_TYPE, GGML_TYPES, ggmlByteSize, ggmlTypeName, type GgmlType, type GgufScalar, type GgufScalarType, type GgufValue } from './gguf-constants.js';
import { decodeGgml } from './gguf-quant.js';

/** A tensor's place in a GGUF file. `offset` is absolute (from the start of the file). */
export interface GgufTensorInfo {
  name: string;
  dims: number[]; // ggml order: ne0 first
  type: GgmlType;
  offset: number;
  byteSize: number;
}

/** Thrown inside the parser when the prefix read so far ends before the header does. */
class NeedMore extends Error {}

class Cursor {
  private readonly view: DataView;
  at = 0;
  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  private take(n: number): number {
    if (this.at + n > this.bytes.length) throw new NeedMore();
    const at = this.at;
    this.at += n;
    return at;
  }
  u8(): number { return this.view.getUint8(this.take(1)); }
  i8(): number { return this.view.getInt8(this.take(1)); }
  u16(): number { return this.view.getUint16(this.take(2), true); }
  i16(): number { return this.view.getInt16(this.take(2), true); }
  u32(): number { return this.view.getUint32(this.take(4), true); }
  i32(): number { return this.view.getInt32(this.take(4), true); }
  f32(): number { return this.view.getFloat32(this.take(4), true); }
  f64(): number { return this.view.getFloat64(this.take(8), true); }
  u64(): bigint { return this.view.getBigUint64(this.take(8), true); }
  i64(): bigint { return this.view.getBigInt64(this.take(8), true); }
  /** A u64 that must fit a JS number (counts, lengths, offsets). */
  size(what: string, source: string): number {
    const v = this.u64();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new FormatError('bad_header', `${source}: ${what} ${v} is too large; the file is corrupt`);
    return Number(v);
  }
  string(source: string): string {
    const n = this.size('string length', source);
    const at = this.take(n);
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(this.bytes.subarray(at, at + n));
    } catch {
      throw new FormatError('bad_header', `${source}: a string at byte ${at} is not valid UTF-8; the file is corrupt`);
    }
  }
}

const SCALAR_BY_ID = new Map<number, GgufScalarType>(
  (Object.entries(GGUF_VALUE_TYPE) as [keyof typeof GGUF_VALUE_TYPE, number][]).filter(([k]) => k !== 'array').map(([k, id]) => [id, k as GgufScalarType]),
);

function readScalar(c: Cursor, type: GgufScalarType, source: string): GgufScalar {
  switch (type) {
    case 'string':
      return c.string(source);
    case 'bool':
      return c.u8() !== 0;
    case 'u64':
      return c.u64();
    case 'i64':
      return c.i64();
    default:
      return c[type]();
  }
}

function readValue(c: Cursor, key: string, source: string): GgufValue {
  const typeId = c.u32();
  if (typeId === GGUF_VALUE_TYPE.array) {
    const itemId = c.u32();
    const itemType = SCALAR_BY_ID.get(itemId);
    if (itemType === undefined) throw new FormatError('bad_header', `${source}: metadata "${key}" is an array of unsupported type ${itemId} (nested arrays are not read)`);
    const n = c.size(`length of "${key}"`, source);
    const value: GgufScalar[] = new Array(n);
    for (let i = 0; i < n; i++) value[i] = readScalar(c, itemType, source);
    return { type: 'array', itemType, value };
  }
  const type = SCALAR_BY_ID.get(typeId);
  if (type === undefined) throw new FormatError('bad_header', `${source}: metadata "${key}" has unknown value type ${typeId}; the file is corrupt or newer than this reader`);
  return { type, value: readScalar(c, type, source) };
}

interface ParsedHeader {
  version: number;
  metadata: Map<string, GgufValue>;
  tensors: GgufTensorInfo[];
  alignment: number;
  dataStart: number;
}

function parseHeader(bytes: Uint8Array, source: string): ParsedHeader {
  const c = new Cursor(bytes);
  const magic = c.u32();
  if (magic !== GGUF_MAGIC) {
    const seen = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new FormatError('bad_magic', `${source}: not a GGUF file (the first 4 bytes are ${seen}, not "GGUF"); pass a .gguf model file`);
  }
  const version = c.u32();
  if (version !== 2 && version !== 3) {
    throw new FormatError('unsupported_version', `${source}: GGUF version ${version} is not supported (this reader handles 2 and 3); re-convert the model with a current llama.cpp`);
  }
  const tensorCount = c.size('tensor count', source);
  const kvCount = c.size('metadata count', source);
  const metadata = new Map<string, GgufValue>();
  for (let i = 0; i < kvCount; i++) {
    const key = c.string(source);
    if (metadata.has(key)) throw new FormatError('bad_header', `${source}: metadata key "${key}" appears twice`);
    metadata.set(key, readValue(c, key, source));
  }
  const align = metadata.get('general.alignment');
  const alignment = align === undefined ? GGUF_DEFAULT_ALIGNMENT : Number(align.value);
  if (!Number.isInteger(alignment) || alignment <= 0) throw new FormatError('bad_header', `${source}: general.alignment ${String(align?.value)} must be a positive integer`);
  const raw: Array<{ name: string; dims: number[]; typeId: number; offset: number }> = [];
  for (let i = 0; i < tensorCount; i++) {
    const name = c.string(source);
    const nDims = c.u32();
    if (nDims > 4) throw new FormatError('bad_tensor', `${source}: tensor "${name}" has ${nDims} dims; ggml allows at most 4`);
    const dims: number[] = [];
    for (let d = 0; d < nDims; d++) dims.push(c.size(`dim of "${name}"`, source));
    raw.push({ name, dims, typeId: c.u32(), offset: c.size(`offset of "${name}"`, source) });
  }
  const dataStart = Math.ceil(c.at / alignment) * alignment;
  const tensors = raw.map((t) => {
    const type = ggmlTypeName(t.typeId);
    if (type === undefined) {
      throw new FormatError('unsupported_dtype', `${source}: tensor "${t.name}" has ggml type ${t.typeId}, which this reader does not decode (supported: ${Object.keys(GGML_TYPES).join(', ')}); re-quantize it with llama-quantize to Q8_0, Q4_0 or F16`);
    }
    const count = t.dims.reduce((a, b) => a * b, 1);
    if (t.dims.length > 0 && t.dims[0]! % GGML_TYPES[type].blockValues !== 0) {
      throw new FormatError('bad_tensor', `${source}: tensor "${t.name}" is ${type} but its row length ${t.dims[0]} is not a whole number of ${GGML_TYPES[type].blockValues}-value blocks`);
    }
    if (t.offset % alignment !== 0) throw new FormatError('bad_tensor', `${source}: tensor "${t.name}" offset ${t.offset} is not a multiple of the alignment ${alignment}`);
    return { name: t.name, dims: t.dims, type, offset: dataStart + t.offset, byteSize: ggmlByteSize(type, count) };
  });
  return { version, metadata, tensors, alignment, dataStart };
}

/** An open GGUF file: metadata, tensor infos, and tensors read on demand. Close it when done. */
export class GgufFile {
  private readonly byName: Map<string, GgufTensorInfo>;

  private constructor(
    readonly path: string,
    private readonly file: FileHandle,
    readonly version: number,
    readonly metadata: ReadonlyMap<string, GgufValue>,
    readonly tensors: readonly GgufTensorInfo[],
    readonly alignment: number,
  ) {
    this.byName = new Map(tensors.map((t) => [t.name, t]));
  }

  /** Opens a file, parses its header and checks that every tensor's bytes lie inside the file. */
  static async open(path: string): Promise<GgufFile> {
    const file = await open(path, 'r');
    try {
      const size = (await file.stat()).size;
      if (size < 24) {
        throw new FormatError('file_too_small', `${path}: ${size} bytes is too small for a GGUF file (its fixed header alone takes 24)`);
      }
      // The header's size is unknown until parsed: read a prefix and double it until the parse fits.
      let prefix = Math.min(size, 1 << 20);
      for (;;) {
        const bytes = await readAt(file, 0, prefix, path);
        try {
          const h = parseHeader(bytes, path);
          for (const t of h.tensors) {
            if (t.offset + t.byteSize > size) {
              throw new FormatError('truncated', `${path}: tensor "${t.name}" ends at byte ${t.offset + t.byteSize} but the file has ${size}; the file is truncated (re-export or re-download it)`);
            }
          }
          return new GgufFile(path, file, h.version, h.metadata, h.tensors, h.alignment);
        } catch (err) {
          if (!(err instanceof NeedMore)) throw err;
          if (prefix === size) throw new FormatError('truncated', `${path}: the file ends inside its header (${size} bytes); it is truncated`);
          prefix = Math.min(size, prefix * 2);
        }
      }
    } catch (err) {
      await file.close();
      throw err;
    }
  }

  /** The tensor info named `name`, or a FormatError listing what the file has. */
  info(name: string): GgufTensorInfo {
    const t = this.byName.get(name);
    if (t === undefined) {
      const names = this.tensors.map((x) => x.name);
      throw new FormatError('bad_tensor', `${this.path}: no tensor "${name}" (it has ${names.length}: ${names.slice(0, 6).join(', ')}${names.length > 6 ? ', …' : ''})`);
    }
    return t;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** A metadata value (scalars only), or undefined when absent. */
  scalar(key: string): GgufScalar | undefined {
    const v = this.metadata.get(key);
    return v === undefined || v.type === 'array' ? undefined : v.value;
  }

  /** The raw bytes of a tensor as stored. */
  async readRaw(name: string): Promise<Uint8Array> {
    const t = this.info(name);
    return readAt(this.file, t.offset, t.byteSize, this.path);
  }

  /** A tensor decoded (dequantized) to float32, in ggml order (row-major over reversed dims). */
  async readFloat32(name: string): Promise<Float32Array> {
    const t = this.info(name);
    return decodeGgml(t.type, await this.readRaw(name), t.dims.reduce((a, b) => a * b, 1));
  }

  async close(): Promise<void> {
    await this.file.close();
  }
}

async function readAt(file: FileHandle, position: number, length: number, source: string): Promise<Uint8Array> {
  const out = new Uint8Array(new ArrayBuffer(length));
  let done = 0;
  while (done < length) {
    const { bytesRead } = await file.read(out, done, Math.min(2 ** 30, length - done), position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  if (done < length) throw new FormatError('truncated', `${source}: file ended after ${done} of ${length} bytes at offset ${position}; it is truncated`);
  return out;
}
