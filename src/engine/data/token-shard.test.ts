import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FormatError } from '../formats/format-error.js';
import { TokenShardReader } from './token-shard-reader.js';
import { TokenShardWriter, writeTokenShard } from './token-shard-writer.js';

let dir: string;
beforeAll(async () => {
  dir = join(tmpdir(), `test-${randomUUID()}`);
  await mkdir(dir, { recursive: true });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
const tmp = (name: string) => join(dir, `${randomUUID()}-${name}`);

function expectFormatError(fn: () => unknown, code: string, message: RegExp): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(FormatError);
  expect((err as FormatError).code).toBe(code);
  expect((err as FormatError).message).toMatch(message);
}

describe('token shards', () => {
  it('writes the documented layout byte for byte', async () => {
    const path = tmp('a.tok');
    const info = await writeTokenShard(path, [1, 258, 65535], { vocabSize: 65536 });
    expect(info).toEqual({ path, dtype: 'uint16', tokenCount: 3, vocabSize: 65536 });
    const bytes = new Uint8Array(await readFile(path));
    expect(Array.from(bytes)).toEqual([
      ...new TextEncoder().encode('CRUCTOKS'),
      1, 0, 0, 0, // version
      2, 0, 0, 0, // dtype uint16
      3, 0, 0, 0, 0, 0, 0, 0, // token count
      0, 0, 1, 0, // vocab size 65536
      0, 0, 0, 0, // reserved
      1, 0, 2, 1, 0xff, 0xff, // tokens, little-endian
    ]);
  });

  it('uses uint32 above 65,536 ids and streams across chunk boundaries', async () => {
    const path = tmp('big.tok');
    const writer = await TokenShardWriter.create(path, { vocabSize: 100_000 });
    expect(writer.dtype).toBe('uint32');
    const n = (1 << 20) + 123; // one more than a full write chunk
    const tokens = new Uint32Array(n).map((_, i) => (i * 7919) % 100_000);
    await writer.append(tokens.subarray(0, 1000));
    await writer.append(tokens.subarray(1000));
    expect(writer.tokenCount).toBe(n);
    await writer.finalize();

    const shard = TokenShardReader.open(path);
    expect([shard.dtype, shard.tokenCount, shard.vocabSize]).toEqual(['uint32', n, 100_000]);
    expect(shard.read(0, 5)).toEqual(tokens.subarray(0, 5));
    expect(shard.read((1 << 20) - 2, 10)).toEqual(tokens.subarray((1 << 20) - 2, (1 << 20) + 8));
    expect(shard.read(n - 3, 3)).toEqual(tokens.subarray(n - 3));
    expect(shard.read(n, 0)).toEqual(new Uint32Array(0));
    expect(() => shard.read(n - 2, 3)).toThrow(/window \[1048697, 1048700\) is outside the shard's 1048699 tokens/);
    shard.close();
    expect(() => shard.read(0, 1)).toThrow(/closed/);
  });

  it('appears only at finalize, atomically, and abort leaves nothing', async () => {
    const sub = join(dir, `atomic-${randomUUID()}`);
    await mkdir(sub);
    const writer = await TokenShardWriter.create(join(sub, 'x.tok'), { vocabSize: 10 });
    await writer.append([1, 2, 3]);
    expect((await readdir(sub)).filter((f) => f === 'x.tok')).toEqual([]);
    await writer.finalize();
    expect(await readdir(sub)).toEqual(['x.tok']);
    await expect(writer.append([1])).rejects.toThrow(/writer is finalized/);

    const dropped = await TokenShardWriter.create(join(sub, 'y.tok'), { vocabSize: 10 });
    await expect(dropped.append([1, 10])).rejects.toThrow(/token 10 at position 1 is not an id in \[0, 10\)/);
    await dropped.abort();
    expect(await readdir(sub)).toEqual(['x.tok']);
  });

  it('refuses bad magic, unknown versions and dtypes, and truncated or padded files', async () => {
    const path = tmp('v.tok');
    await writeTokenShard(path, [1, 2, 3, 4], { vocabSize: 16 });
    const good = new Uint8Array(await readFile(path));
    const variant = async (patch: (b: Uint8Array) => Uint8Array) => {
      const p = tmp('bad.tok');
      await writeFile(p, patch(good.slice()));
      return p;
    };
    const opener = async (patch: (b: Uint8Array) => Uint8Array) => {
      const p = await variant(patch);
      return () => TokenShardReader.open(p);
    };
    const setU32 = (at: number, v: number) => (b: Uint8Array) => (new DataView(b.buffer).setUint32(at, v, true), b);

    expectFormatError(await opener((b) => (b[0] = 0x58, b)), 'bad_magic', /not a token shard \(magic "XRUCTOKS"/);
    expectFormatError(await opener(setU32(8, 2)), 'unsupported_version', /version 2 is not supported/);
    expectFormatError(await opener(setU32(12, 3)), 'unsupported_dtype', /dtype code 3 is unknown/);
    expectFormatError(await opener(setU32(28, 1)), 'bad_header', /reserved/);
    expectFormatError(await opener((b) => b.subarray(0, 20)), 'file_too_small', /20 bytes is smaller/);
    const cut = await variant((b) => b);
    await truncate(cut, good.length - 1);
    expectFormatError(
      () => TokenShardReader.open(cut),
      'truncated',
      new RegExp(`${cut}: file is truncated: header says 4 uint16 tokens, so 40 bytes expected, but the file has 39`),
    );
    const padded = await variant((b) => Uint8Array.from([...b, 0, 0]));
    expectFormatError(() => TokenShardReader.open(padded), 'truncated', /longer than its header says/);
  });
});
