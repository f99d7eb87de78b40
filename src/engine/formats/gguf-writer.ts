/**
 * Writes GGUF v3 files (ggml/docs/gguf.md), little-endian:
 *   magic "GGUF" · u32 version 3 · u64 tensor count · u64 metadata count
 *   metadata: string key · u32 value type · value   (strings are u64 length + UTF-8; arrays are
 *             u32 item type · u64 count · items)
 *   tensor infos: string name · u32 n_dims · u64 dims[n_dims] (ggml order: ne0, the fastest-varying dim,
 *             first) · u32 ggml type · u64 offset into the data section (a multiple of the alignment)
 *   zero padding to `general.alignment` (default 32), then the tensor data, each tensor padded the same.
 * Tensors are encoded one at a time while writing, so peak memory is one tensor, not the model.
 */
import { FormatError } from './format-error.js';
import { GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC, GGUF_VALUE_TYPE, GGUF_VERSION, GGML_TYPES, ggmlByteSize, type GgmlType, type GgufScalar, type GgufScalarType, type GgufValue } from './gguf-constants.js';
import { writeAll, writeFileAtomically } from './atomic-write.js';

/** One tensor to write; `encode` returns exactly ggmlByteSize(type, product(dims)) bytes. */
export interface GgufTensorToWrite {
  name: string;
  dims: number[]; // ggml order: ne0 (row length) first
  type: GgmlType;
  encode: () => Uint8Array;
}

/** Little-endian byte builder for the header. */
class HeaderBytes {
  private buf = new Uint8Array(1 << 16);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u8(v: number): void { this.reserve(1); this.view.setUint8(this.length, v); this.length += 1; }
  i8(v: number): void { this.reserve(1); this.view.setInt8(this.length, v); this.length += 1; }
  u16(v: number): void { this.reserve(2); this.view.setUint16(this.length, v, true); this.length += 2; }
  i16(v: number): void { this.reserve(2); this.view.setInt16(this.length, v, true); this.length += 2; }
  u32(v: number): void { this.reserve(4); this.view.setUint32(this.length, v, true); this.length += 4; }
  i32(v: number): void { this.reserve(4); this.view.setInt32(this.length, v, true); this.length += 4; }
  f32(v: number): void { this.reserve(4); this.view.setFloat32(this.length, v, true); this.length += 4; }
  f64(v: number): void { this.reserve(8); this.view.setFloat64(this.length, v, true); this.length += 8; }
  u64(v: number | bigint): void { this.reserve(8); this.view.setBigUint64(this.length, BigInt(v), true); this.length += 8; }
  i64(v: number | bigint): void { this.reserve(8); this.view.setBigInt64(this.length, BigInt(v), true); this.length += 8; }
  string(s: string): void {
    const bytes = new TextEncoder().encode(s);
    this.u64(bytes.length);
    this.reserve(bytes.length);
    this.buf.set(bytes, this.length);
    this.length += bytes.length;
  }
  pad(alignment: number): void {
    const n = (alignment - (this.length % alignment)) % alignment;
    this.reserve(n);
    this.buf.fill(0, this.length, this.length + n);
    this.length += n;
  }
  bytes(): Uint8Array { return this.buf.subarray(0, this.length); }
}

function writeScalar(out: HeaderBytes, type: GgufScalarType, value: GgufScalar, key: string): void {
  const bad = (): never => {
    throw new FormatError('bad_input', `gguf: metadata "${key}" is ${type} but got ${typeof value} ${String(value)}`);
  };
  switch (type) {
    case 'string':
      return typeof value === 'string' ? out.string(value) : bad();
    case 'bool':
      return typeof value === 'boolean' ? out.u8(value ? 1 : 0) : bad();
    case 'u64':
    case 'i64':
      if (typeof value !== 'bigint' && !(typeof value === 'number' && Number.isSafeInteger(value))) bad();
      return type === 'u64' ? out.u64(value as number | bigint) : out.i64(value as number | bigint);
    default: {
      if (typeof value !== 'number') bad();
      const v = value as number;
      if (type !== 'f32' && type !== 'f64' && !Number.isInteger(v)) bad();
      out[type](v);
    }
  }
}

function writeValue(out: HeaderBytes, key: string, v: GgufValue): void {
  out.u32(GGUF_VALUE_TYPE[v.type]);
  if (v.type === 'array') {
    out.u32(GGUF_VALUE_TYPE[v.itemType]);
    out.u64(v.value.length);
    for (const item of v.value) writeScalar(out, v.itemType, item, key);
  } else {
    writeScalar(out, v.type, v.value, key);
  }
}

const product = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);

/** Writes a GGUF v3 file atomically (temp file + fsync + rename). Metadata keeps the given order. */
export async function writeGguf(path: string, file: { metadata: ReadonlyArray<readonly [string, GgufValue]>; tensors: readonly GgufTensorToWrite[] }): Promise<void> {
  const alignEntry = file.metadata.find(([k]) => k === 'general.alignment');
  const alignment = alignEntry === undefined ? GGUF_DEFAULT_ALIGNMENT : Number(alignEntry[1].value);
  if (!Number.isInteger(alignment) || alignment <= 0 || alignment % 8 !== 0) {
    throw new FormatError('bad_input', `gguf: general.alignment must be a positive multiple of 8, got ${String(alignEntry?.[1].value)}`);
  }
  const keys = new Set<string>();
  for (const [key] of file.metadata) {
    if (keys.has(key)) throw new FormatError('bad_input', `gguf: metadata key "${key}" given twice`);
    keys.add(key);
  }

  const out = new HeaderBytes();
  out.u32(GGUF_MAGIC);
  out.u32(GGUF_VERSION);
  out.u64(file.tensors.length);
  out.u64(file.metadata.length);
  for (const [key, value] of file.metadata) {
    out.string(key);
    writeValue(out, key, value);
  }
  const sizes: number[] = [];
  let offset = 0;
  const names = new Set<string>();
  for (const t of file.tensors) {
    if (names.has(t.name)) throw new FormatError('bad_input', `gguf: tensor "${t.name}" given twice`);
    names.add(t.name);
    const count = product(t.dims);
    if (count % GGML_TYPES[t.type].blockValues !== 0 || t.dims[0]! % GGML_TYPES[t.type].blockValues !== 0) {
      throw new FormatError('bad_input', `gguf: tensor "${t.name}" dims [${t.dims.join(', ')}]: ${t.type} rows must hold whole blocks of ${GGML_TYPES[t.type].blockValues}; choose F16 or F32 for it`);
    }
    out.string(t.name);
    out.u32(t.dims.length);
    for (const d of t.dims) out.u64(d);
    out.u32(GGML_TYPES[t.type].id);
    out.u64(offset);
    const size = ggmlByteSize(t.type, count);
    sizes.push(size);
    offset += Math.ceil(size / alignment) * alignment;
  }
  out.pad(alignment);

  await writeFileAtomically(path, async (handle) => {
    await writeAll(handle, out.bytes());
    for (const [i, t] of file.tensors.entries()) {
      const bytes = t.encode();
      if (bytes.length !== sizes[i]) {
        throw new FormatError('bad_input', `gguf: tensor "${t.name}" encoded to ${bytes.length} bytes, expected ${sizes[i]} for ${t.type} [${t.dims.join(', ')}]`);
      }
      await writeAll(handle, bytes);
      const pad = (alignment - (bytes.length % alignment)) % alignment;
      if (pad > 0 && i < file.tensors.length - 1) await writeAll(handle, new Uint8Array(pad));
    }
  });
}
