import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FormatError } from './format-error.js';
import { float32ToBf16, float32ToF16 } from './half.js';
import { readSafetensors, SafetensorsFile, writeSafetensors, type SafetensorsTensor } from './safetensors.js';

let dir: string;
beforeAll(async () => {
  dir = join(tmpdir(), `test-${randomUUID()}`);
  await mkdir(dir, { recursive: true });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
const tmp = (name: string) => join(dir, `${randomUUID()}-${name}`);

/** Bytes from a Python-bytes-like spec: ASCII text plus explicit byte runs. */
function bytes(...parts: Array<string | number[]>): Uint8Array {
  const chunks = parts.map((p) => (typeof p === 'string' ? new TextEncoder().encode(p) : Uint8Array.from(p)));
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
const zeros = (n: number) => new Array<number>(n).fill(0);
const i32x4 = (): SafetensorsTensor => ({ dtype: 'I32', shape: [2, 2], data: new Int32Array(4) });

// Expected bytes below are the reference implementation's own test vectors
// (huggingface/safetensors, bindings/python/tests/test_simple.py): what `safetensors.numpy.save` produces.
describe('safetensors: byte-for-byte against the reference implementation', () => {
  it('writes a padded header so the data starts 8-byte aligned', async () => {
    const path = tmp('a.safetensors');
    await writeSafetensors(path, { test: i32x4() });
    const expected = bytes([0x40, 0, 0, 0, 0, 0, 0, 0], '{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}    ', zeros(16));
    expect(new Uint8Array(await readFile(path))).toEqual(expected);

    const one = i32x4();
    (one.data as Int32Array)[3] = 1;
    await writeSafetensors(path, { test: one });
    const expectedOne = bytes([0x40, 0, 0, 0, 0, 0, 0, 0], '{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}    ', zeros(12), [1, 0, 0, 0]);
    expect(new Uint8Array(await readFile(path))).toEqual(expectedOne);
  });

  it('orders tensors by element size then name, whatever the insertion order', async () => {
    const f16: SafetensorsTensor = { dtype: 'F16', shape: [2, 2], data: new Uint16Array(4) };
    const a = tmp('a.safetensors');
    const b = tmp('b.safetensors');
    await writeSafetensors(a, { test1: i32x4(), test2: f16 });
    await writeSafetensors(b, new Map([['test2', f16], ['test1', i32x4()]]));
    const expected = bytes(
      [0x80, 0, 0, 0, 0, 0, 0, 0],
      '{"test1":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]},"test2":{"dtype":"F16","shape":[2,2],"data_offsets":[16,24]}}      ',
      zeros(24),
    );
    expect(new Uint8Array(await readFile(a))).toEqual(expected);
    expect(new Uint8Array(await readFile(b))).toEqual(expected);
  });

  it('writes __metadata__ first', async () => {
    const path = tmp('m.safetensors');
    await writeSafetensors(path, { test1: i32x4() }, { metadata: { framework: 'pt' } });
    const expected = bytes(
      [0x60, 0, 0, 0, 0, 0, 0, 0],
      '{"__metadata__":{"framework":"pt"},"test1":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}} ',
      zeros(16),
    );
    expect(new Uint8Array(await readFile(path))).toEqual(expected);
  });

  it('reads unpadded, unaligned files from older writers, metadata included', async () => {
    const old = tmp('old.safetensors');
    await writeFile(old, bytes([0x3c, 0, 0, 0, 0, 0, 0, 0], '{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}', zeros(16)));
    const { tensors } = await readSafetensors(old);
    expect([...tensors.keys()]).toEqual(['test']);
    expect(tensors.get('test')).toEqual({ dtype: 'I32', shape: [2, 2], data: new Int32Array(4) });

    // Header of 102 bytes: the data starts at byte 110, not a multiple of 4.
    const unaligned = tmp('meta.safetensors');
    await writeFile(
      unaligned,
      bytes(
        [0x66, 0, 0, 0, 0, 0, 0, 0],
        '{"__metadata__":{"framework":"pt"},"test1":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}       ',
        [1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 0xff, 0xff, 0xff, 0xff],
      ),
    );
    const file = await SafetensorsFile.open(unaligned);
    expect(file.metadata).toEqual({ framework: 'pt' });
    expect((await file.read('test1')).data).toEqual(Int32Array.from([1, 2, 3, -1]));
    await file.close();
  });
});

describe('safetensors: a file built byte by byte from the spec', () => {
  it('decodes F32, BF16, F16, I64 and BOOL little-endian values', async () => {
    const header = JSON.stringify({
      w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
      b: { dtype: 'BF16', shape: [2], data_offsets: [8, 12] },
      h: { dtype: 'F16', shape: [3], data_offsets: [12, 18] },
      flag: { dtype: 'BOOL', shape: [2], data_offsets: [18, 20] },
      big: { dtype: 'I64', shape: [], data_offsets: [20, 28] },
    });
    const length = new Uint8Array(8);
    new DataView(length.buffer).setBigUint64(0, BigInt(header.length), true);
    const path = tmp('spec.safetensors');
    await writeFile(
      path,
      bytes(
        [...length],
        header,
        [0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x20, 0xc1], // F32 1.0, -10.0
        [0x80, 0x3f, 0x49, 0x40], // BF16 1.0, 3.140625
        [0x00, 0x3c, 0xff, 0x7b, 0x01, 0x00], // F16 1.0, 65504, 2^-24
        [1, 0],
        [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], // I64 -2
      ),
    );
    const file = await SafetensorsFile.open(path);
    expect(file.names).toEqual(['w', 'b', 'h', 'flag', 'big']);
    expect((await file.read('w')).data).toEqual(Float32Array.from([1, -10]));
    expect(await file.readFloat32('b')).toEqual(Float32Array.from([1, 3.140625]));
    expect(await file.readFloat32('h')).toEqual(Float32Array.from([1, 65504, 2 ** -24]));
    expect((await file.read('flag')).data).toEqual(Uint8Array.from([1, 0]));
    expect(await file.read('big')).toEqual({ dtype: 'I64', shape: [], data: BigInt64Array.from([-2n]) });
    await expect(file.read('nope')).rejects.toThrow(/no tensor named "nope"/);
    await file.close();
  });
});

describe('safetensors: round trips', () => {
  it('keeps every dtype, scalar and empty shapes, and metadata', async () => {
    const tensors: Record<string, SafetensorsTensor> = {
      f64: { dtype: 'F64', shape: [3], data: Float64Array.from([Math.PI, -0, 1e300]) },
      f32: { dtype: 'F32', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, Number.NaN]) },
      f16: { dtype: 'F16', shape: [2], data: float32ToF16(Float32Array.from([0.5, -2])) },
      bf16: { dtype: 'BF16', shape: [2], data: float32ToBf16(Float32Array.from([0.5, -2])) },
      i64: { dtype: 'I64', shape: [1], data: BigInt64Array.from([-(2n ** 62n)]) },
      u64: { dtype: 'U64', shape: [1], data: BigUint64Array.from([2n ** 63n]) },
      i32: { dtype: 'I32', shape: [2], data: Int32Array.from([-1, 2 ** 31 - 1]) },
      u32: { dtype: 'U32', shape: [1], data: Uint32Array.from([2 ** 32 - 1]) },
      i16: { dtype: 'I16', shape: [1], data: Int16Array.from([-300]) },
      u16: { dtype: 'U16', shape: [1], data: Uint16Array.from([65535]) },
      i8: { dtype: 'I8', shape: [1, 1, 1], data: Int8Array.from([-7]) },
      u8: { dtype: 'U8', shape: [3], data: Uint8Array.from([0, 128, 255]) },
      bool: { dtype: 'BOOL', shape: [], data: Uint8Array.from([1]) },
      empty: { dtype: 'F32', shape: [0, 4], data: new Float32Array(0) },
    };
    const path = tmp('all.safetensors');
    await writeSafetensors(path, tensors, { metadata: { format: 'pt', note: 'ünïcode ✓' } });
    const back = await readSafetensors(path);
    expect(back.metadata).toEqual({ format: 'pt', note: 'ünïcode ✓' });
    for (const [name, t] of Object.entries(tensors)) expect(back.tensors.get(name), name).toEqual(t);
    const asFloat = await readSafetensors(path, { as: 'float32' }).catch((e: unknown) => e);
    expect(asFloat).toBeInstanceOf(FormatError); // integer tensors refuse to decode to float32
    const file = await SafetensorsFile.open(path);
    expect(await file.readFloat32('f16')).toEqual(Float32Array.from([0.5, -2]));
    expect(await file.readFloat32('bf16')).toEqual(Float32Array.from([0.5, -2]));
    expect(await file.readFloat32('f64')).toEqual(Float32Array.from([Math.PI, -0, Infinity]));
    await file.close();
  });

  it('writes a subarray view (a slice of a flat parameter buffer) without its neighbours', async () => {
    const flat = Float32Array.from([9, 1, 2, 3, 9]);
    const path = tmp('view.safetensors');
    await writeSafetensors(path, { w: { dtype: 'F32', shape: [3], data: flat.subarray(1, 4) } });
    expect((await readSafetensors(path)).tensors.get('w')!.data).toEqual(Float32Array.from([1, 2, 3]));
  });

  it('leaves no temp file behind, and no file at all when the input is bad', async () => {
    const sub = join(dir, `clean-${randomUUID()}`);
    await mkdir(sub);
    await writeSafetensors(join(sub, 'ok.safetensors'), { w: { dtype: 'F32', shape: [1], data: new Float32Array(1) } });
    await expect(
      writeSafetensors(join(sub, 'bad.safetensors'), { w: { dtype: 'F32', shape: [2], data: new Float64Array(2) } }),
    ).rejects.toThrow(/"w" is F32, which needs a Float32Array, got Float64Array/);
    await expect(writeSafetensors(join(sub, 'bad.safetensors'), { w: { dtype: 'F32', shape: [3], data: new Float32Array(2) } })).rejects.toThrow(
      /shape \[3\] has 3 elements but its data has 2/,
    );
    await expect(writeSafetensors(join(sub, 'bad.safetensors'), { __metadata__: { dtype: 'U8', shape: [0], data: new Uint8Array(0) } })).rejects.toThrow(
      /reserved/,
    );
    expect(await readdir(sub)).toEqual(['ok.safetensors']);
  });
});

describe('safetensors: strict reading', () => {
  async function fileWith(header: object | string, data: number[] | Uint8Array, lengthOverride?: number): Promise<string> {
    const json = typeof header === 'string' ? header : JSON.stringify(header);
    const length = new Uint8Array(8);
    new DataView(length.buffer).setBigUint64(0, BigInt(lengthOverride ?? new TextEncoder().encode(json).length), true);
    const path = tmp('bad.safetensors');
    await writeFile(path, bytes([...length], json, [...data]));
    return path;
  }
  const expectError = async (path: string, code: string, message: RegExp) => {
    const err = await SafetensorsFile.open(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FormatError);
    expect((err as FormatError).code).toBe(code);
    expect((err as FormatError).message).toMatch(message);
    expect((err as FormatError).message).toContain(path);
  };
  const t = (dtype: string, shape: number[], begin: number, end: number) => ({ dtype, shape, data_offsets: [begin, end] });

  it('reports a truncated data section with both sizes', async () => {
    await expectError(await fileWith({ w: t('F32', [4], 0, 16) }, zeros(10)), 'truncated', /"w" ends at data byte 16 but the data section has only 10 bytes/);
  });
  it('reports trailing bytes', async () => {
    await expectError(await fileWith({ w: t('F32', [1], 0, 4) }, zeros(8)), 'truncated', /cover 4 bytes but the data section has 8/);
  });
  it('rejects a header length beyond the file or absurdly large', async () => {
    await expectError(await fileWith('{}', [], 500), 'truncated', /header says 500 bytes of JSON but the file has only 2/);
    await expectError(await fileWith('{}', [], 2 ** 40), 'bad_header', /exceeds/);
    const tiny = tmp('tiny.safetensors');
    await writeFile(tiny, Uint8Array.from([1, 2, 3]));
    await expectError(tiny, 'file_too_small', /3 bytes is too small/);
  });
  it('rejects size/shape mismatches, overlaps, gaps and unknown dtypes, naming the tensor', async () => {
    await expectError(await fileWith({ w: t('F32', [3], 0, 8) }, zeros(8)), 'bad_tensor', /"w": F32 \[3\] needs 12 bytes but data_offsets \[0, 8\] span 8/);
    await expectError(
      await fileWith({ a: t('U8', [4], 0, 4), b: t('U8', [4], 2, 6) }, zeros(6)),
      'bad_tensor',
      /"b" \[2, 6\) overlaps "a" \[0, 4\)/,
    );
    await expectError(await fileWith({ a: t('U8', [4], 4, 8) }, zeros(8)), 'bad_tensor', /4 unclaimed bytes before tensor "a"/);
    await expectError(await fileWith({ a: t('F8_E4M3', [1], 0, 1) }, zeros(1)), 'unsupported_dtype', /"a": dtype F8_E4M3 is not supported/);
    await expectError(await fileWith({ a: { ...t('U8', [1], 0, 1), extra: 1 } }, zeros(1)), 'bad_tensor', /unknown field\(s\) extra/);
    await expectError(await fileWith({ a: t('U8', [-1], 0, 1) }, zeros(1)), 'bad_tensor', /non-negative integers/);
    await expectError(await fileWith({ a: t('U8', [1], 1, 0) }, zeros(1)), 'bad_tensor', /0 ≤ begin ≤ end/);
  });
  it('rejects headers that are not a JSON object of the right shape', async () => {
    await expectError(await fileWith('[1,2]', []), 'bad_header', /must start with "\{"/);
    await expectError(await fileWith('{"a":', []), 'bad_header', /not valid JSON/);
    await expectError(await fileWith({ __metadata__: { n: 1 } }, []), 'bad_header', /"__metadata__"."n" must be a string/);
    // Duplicate names (forbidden by the spec) even when JSON.parse alone would accept them; escapes and
    // nested objects do not confuse the check.
    const dup = '{"a\\"b":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a\\"b":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}';
    await expectError(await fileWith(dup, zeros(1)), 'bad_header', /tensor "a"b" appears twice/);
    const nested = await fileWith({ __metadata__: { a: 'x', b: 'y' }, a: t('U8', [1], 0, 1) }, zeros(1));
    expect((await readSafetensors(nested)).tensors.size).toBe(1);
  });
  it('accepts an empty file with no tensors', async () => {
    const { tensors, metadata } = await readSafetensors(await fileWith('{}', []));
    expect(tensors.size).toBe(0);
    expect(metadata).toBeUndefined();
  });
});
