/**
 * The safetensors header: building it for the writer and validating it strictly for the reader.
 *
 * Layout (https://github.com/huggingface/safetensors): 8-byte little-endian unsigned header length N,
 * N bytes of UTF-8 JSON, then the data section. The JSON maps each tensor name to
 * `{"dtype", "shape", "data_offsets": [begin, end]}` (offsets relative to the data section) and may hold
 * `"__metadata__"`: a string → string map. Writers pad the JSON with spaces so the data starts at a
 * multiple of 8; readers must not rely on that (older files are unpadded).
 */
import { FormatError } from './format-error.js';
import { DTYPES, isSafetensorsDtype, numel, type SafetensorsDtype } from './safetensors-dtypes.js';

/** Same limit as the reference implementation: a bigger header is a corrupt length, not a real header. */
export const MAX_HEADER_BYTES = 100_000_000;

/** One tensor's place in a safetensors file. `begin`/`end` are byte offsets into the data section. */
export interface TensorEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  begin: number;
  end: number;
}

/** A parsed header: tensors in data order, optional metadata, and where the data section starts. */
export interface SafetensorsHeader {
  tensors: TensorEntry[];
  metadata: Record<string, string> | undefined;
  dataStart: number; // 8 + N
}

/**
 * Builds the header bytes (length prefix + padded JSON) and each tensor's offsets. Tensors are laid out
 * largest element size first, then by name — as the reference writer does — so every tensor is aligned to
 * its element size and the bytes do not depend on the caller's insertion order.
 */
export function buildSafetensorsHeader(
  tensors: ReadonlyArray<{ name: string; dtype: SafetensorsDtype; shape: readonly number[] }>,
  metadata?: Record<string, string>,
): { bytes: Uint8Array; entries: TensorEntry[] } {
  const sorted = [...tensors].sort(
    (a, b) => DTYPES[b.dtype].bytes - DTYPES[a.dtype].bytes || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
  const entries: TensorEntry[] = [];
  const parts: string[] = [];
  if (metadata !== undefined) parts.push(`"__metadata__":${JSON.stringify(metadata)}`);
  let offset = 0;
  for (const t of sorted) {
    const size = numel(t.shape) * DTYPES[t.dtype].bytes;
    entries.push({ name: t.name, dtype: t.dtype, shape: [...t.shape], begin: offset, end: offset + size });
    // Built as a string so keys keep this order (a JS object would move integer-like names first).
    parts.push(`${JSON.stringify(t.name)}:{"dtype":"${t.dtype}","shape":${JSON.stringify(t.shape)},"data_offsets":[${offset},${offset + size}]}`);
    offset += size;
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const padded = Math.ceil(json.length / 8) * 8;
  const bytes = new Uint8Array(8 + padded).fill(0x20, 8 + json.length);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(padded), true);
  bytes.set(json, 8);
  return { bytes, entries };
}

/** Reads the 8-byte header length, checking it against the file size. */
export function headerLength(prefix: Uint8Array, fileSize: number, source: string): number {
  if (fileSize < 8) {
    throw new FormatError('file_too_small', `${source}: ${fileSize} bytes is too small for a safetensors file (the header length alone takes 8)`);
  }
  const n = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) {
    throw new FormatError('bad_header', `${source}: header length ${n} exceeds ${MAX_HEADER_BYTES} bytes; the file is not safetensors or is corrupt`);
  }
  if (8 + Number(n) > fileSize) {
    throw new FormatError('truncated', `${source}: header says ${n} bytes of JSON but the file has only ${fileSize - 8} after the length; the file is truncated`);
  }
  return Number(n);
}

/** Parses and validates the JSON header; `dataLength` is the size of the data section (file size − 8 − N). */
export function parseSafetensorsHeader(json: Uint8Array, dataLength: number, source: string): SafetensorsHeader {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(json);
  } catch {
    throw new FormatError('bad_header', `${source}: header is not valid UTF-8`);
  }
  if (!text.startsWith('{')) {
    throw new FormatError('bad_header', `${source}: header must start with "{", found ${JSON.stringify(text.slice(0, 16))}; is this a safetensors file?`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new FormatError('bad_header', `${source}: header is not valid JSON (${(err as Error).message})`);
  }
  if (!isPlainObject(raw)) throw new FormatError('bad_header', `${source}: header must be a JSON object`);
  // The spec forbids duplicate names; JSON.parse would silently keep the last one.
  const duplicate = duplicateTopLevelKey(text);
  if (duplicate !== undefined) throw new FormatError('bad_header', `${source}: tensor "${duplicate}" appears twice in the header; names must be unique`);

  let metadata: Record<string, string> | undefined;
  const tensors: TensorEntry[] = [];
  for (const [name, value] of Object.entries(raw)) {
    if (name === '__metadata__') {
      metadata = parseMetadata(value, source);
    } else {
      tensors.push(parseEntry(name, value, source));
    }
  }
  checkLayout(tensors, dataLength, source);
  return { tensors, metadata, dataStart: 8 + json.length };
}

function parseMetadata(value: unknown, source: string): Record<string, string> | undefined {
  if (value === null) return undefined;
  if (!isPlainObject(value)) throw new FormatError('bad_header', `${source}: "__metadata__" must be an object of strings`);
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') {
      throw new FormatError('bad_header', `${source}: "__metadata__"."${k}" must be a string, got ${JSON.stringify(v)}`);
    }
  }
  return value as Record<string, string>;
}

function parseEntry(name: string, value: unknown, source: string): TensorEntry {
  const where = `${source}: tensor "${name}"`;
  if (!isPlainObject(value)) throw new FormatError('bad_tensor', `${where}: entry must be an object with dtype, shape, data_offsets`);
  const extra = Object.keys(value).filter((k) => k !== 'dtype' && k !== 'shape' && k !== 'data_offsets');
  if (extra.length > 0) throw new FormatError('bad_tensor', `${where}: unknown field(s) ${extra.join(', ')}`);
  const { dtype, shape, data_offsets: offsets } = value;
  if (typeof dtype !== 'string') throw new FormatError('bad_tensor', `${where}: missing "dtype"`);
  if (!isSafetensorsDtype(dtype)) {
    throw new FormatError('unsupported_dtype', `${where}: dtype ${dtype} is not supported (supported: ${Object.keys(DTYPES).join(', ')})`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new FormatError('bad_tensor', `${where}: "shape" must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) || offsets[0] > offsets[1]) {
    throw new FormatError('bad_tensor', `${where}: "data_offsets" must be [begin, end] with 0 ≤ begin ≤ end, got ${JSON.stringify(offsets)}`);
  }
  const expected = numel(shape) * DTYPES[dtype].bytes;
  const [begin, end] = offsets as [number, number];
  if (end - begin !== expected) {
    throw new FormatError(
      'bad_tensor',
      `${where}: ${dtype} ${JSON.stringify(shape)} needs ${expected} bytes but data_offsets [${begin}, ${end}] span ${end - begin}`,
    );
  }
  return { name, dtype, shape: shape as number[], begin, end };
}

/** Offsets must tile the data section exactly: sorted by begin, each tensor starts where the previous ends. */
function checkLayout(tensors: TensorEntry[], dataLength: number, source: string): void {
  tensors.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expectedBegin = 0;
  let previous: TensorEntry | undefined;
  for (const t of tensors) {
    if (t.begin < expectedBegin) {
      throw new FormatError('bad_tensor', `${source}: tensor "${t.name}" [${t.begin}, ${t.end}) overlaps "${previous?.name}" [${previous?.begin}, ${previous?.end})`);
    }
    if (t.begin > expectedBegin) {
      throw new FormatError('bad_tensor', `${source}: ${t.begin - expectedBegin} unclaimed bytes before tensor "${t.name}" (data offsets must be contiguous)`);
    }
    if (t.end > dataLength) {
      throw new FormatError(
        'truncated',
        `${source}: tensor "${t.name}" ends at data byte ${t.end} but the data section has only ${dataLength} bytes; the file is truncated`,
      );
    }
    expectedBegin = t.end;
    previous = t;
  }
  if (expectedBegin !== dataLength) {
    throw new FormatError(
      'truncated',
      `${source}: tensors cover ${expectedBegin} bytes but the data section has ${dataLength}; the file has trailing bytes or a wrong header`,
    );
  }
}

/** The first key that repeats at the top level of a valid JSON object text, if any. */
function duplicateTopLevelKey(text: string): string | undefined {
  const seen = new Set<string>();
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (depth === 1 && expectKey) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (seen.has(key)) return key;
        seen.add(key);
        expectKey = false;
      }
      i = j;
    } else if (ch === '{' || ch === '[') {
      depth++;
      if (depth === 1) expectKey = true;
    } else if (ch === '}' || ch === ']') {
      depth--;
    } else if (ch === ',' && depth === 1) {
      expectKey = true;
    }
  }
  return undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
