import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CrucibleError, NotFoundError, PayloadTooLargeError, ValidationError } from '../errors.js';
import type { BlobStore } from './blob-store.js';

/** What an adapter's test hands the contract: a fresh, empty store and how to dispose of it. */
export interface BlobStoreFixture {
  store: BlobStore;
  cleanup(): Promise<void>;
  /** Temporary things left in the backing storage (fs: entries of tmp/; s3: keys under tmp/). */
  leftovers(): Promise<string[]>;
  /** Total bytes the backing storage holds right now, visible or not (to see data land while a put runs). */
  storedBytes(): Promise<number>;
}

const MiB = 1024 * 1024;
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

const sha256Of = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Deterministic, non-repeating-looking bytes; `seed` keeps blobs of different tests distinct. */
function bytesOf(size: number, seed = 1): Buffer {
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff;
  return out;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/** `total` bytes in 64 KiB chunks, produced lazily; calls `at(bytesSoFar)` before each chunk. */
async function* chunked(total: number, seed: number, at?: (produced: number) => Promise<void> | void): AsyncGenerator<Uint8Array> {
  const chunk = 64 * 1024;
  for (let produced = 0; produced < total; produced += chunk) {
    await at?.(produced);
    yield bytesOf(Math.min(chunk, total - produced), seed + produced);
  }
}

function sha256OfChunked(total: number, seed: number): string {
  const hash = createHash('sha256');
  const chunk = 64 * 1024;
  for (let produced = 0; produced < total; produced += chunk) hash.update(bytesOf(Math.min(chunk, total - produced), seed + produced));
  return hash.digest('hex');
}

/** Compares bytes by length and hash: vitest's deep equality walks a Buffer byte by byte, slowly. */
function expectSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect({ size: actual.byteLength, sha256: sha256Of(actual) }).toEqual({ size: expected.byteLength, sha256: sha256Of(expected) });
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the promise to reject, it resolved');
}

async function expectCode(promise: Promise<unknown>, type: new (...args: never[]) => CrucibleError, code: string): Promise<CrucibleError> {
  const err = await rejection(promise);
  expect(err).toBeInstanceOf(type);
  expect((err as CrucibleError).code).toBe(code);
  return err as CrucibleError;
}

async function waitFor(condition: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The behaviour every BlobStore adapter must show; each adapter's test file calls this once. */
export function describeBlobStoreContract(name: string, create: () => Promise<BlobStoreFixture>): void {
  describe(`BlobStore contract: ${name}`, () => {
    let fixture: BlobStoreFixture;
    let store: BlobStore;

    beforeEach(async () => {
      fixture = await create();
      store = fixture.store;
    });
    afterEach(async () => {
      await fixture.store.close();
      await fixture.cleanup();
    });

    it('round-trips a Buffer: the ref is the sha256 and length of the bytes', async () => {
      const data = Buffer.from('hello, crucible\n');
      const ref = await store.put(data);
      expect(ref).toEqual({ sha256: sha256Of(data), size: data.length });
      expect(await readAll(await store.get(ref.sha256))).toEqual(data);
      expect(await store.stat(ref.sha256)).toEqual(ref);
      expect(await store.has(ref.sha256)).toBe(true);
    });

    it('round-trips stream, async-iterable and plain Uint8Array sources', async () => {
      const data = bytesOf(300_000, 2);
      const fromStream = await store.put(Readable.from([data.subarray(0, 1000), data.subarray(1000)]));
      const fromIterable = await store.put(chunked(300_000, 3));
      const fromUint8 = await store.put(new Uint8Array(data.subarray(0, 5000)));
      expect(fromStream).toEqual({ sha256: sha256Of(data), size: data.length });
      expect(fromIterable).toEqual({ sha256: sha256OfChunked(300_000, 3), size: 300_000 });
      expect(fromUint8).toEqual({ sha256: sha256Of(data.subarray(0, 5000)), size: 5000 });
      expectSameBytes(await readAll(await store.get(fromStream.sha256)), data);
      expect(sha256Of(await readAll(await store.get(fromIterable.sha256)))).toBe(fromIterable.sha256);
    });

    it('stores the same content once and returns the same ref', async () => {
      const data = bytesOf(10_000, 4);
      const [a, b] = await Promise.all([store.put(data), store.put(Readable.from([data]))]);
      const c = await store.put(data);
      expect(a).toEqual(b);
      expect(c).toEqual(a);
      await store.delete(a.sha256); // one delete removes it: there was only one copy
      expect(await store.has(a.sha256)).toBe(false);
      expect(await fixture.leftovers()).toEqual([]);
    });

    it('stores and reads the empty blob', async () => {
      const ref = await store.put(Buffer.alloc(0));
      expect(ref).toEqual({ sha256: EMPTY_SHA256, size: 0 });
      expect(await store.stat(EMPTY_SHA256)).toEqual(ref);
      expect((await readAll(await store.get(EMPTY_SHA256))).length).toBe(0);
      expect((await readAll(await store.get(EMPTY_SHA256, { start: 0, end: 0 }))).length).toBe(0);
    });

    it('reads byte ranges, ends inclusive and clamped to the blob', async () => {
      const data = bytesOf(1000, 5);
      const { sha256 } = await store.put(data);
      const range = async (start?: number, end?: number) => readAll(await store.get(sha256, { start, end }));
      expectSameBytes(await range(10, 19), data.subarray(10, 20));
      expectSameBytes(await range(990), data.subarray(990));
      expectSameBytes(await range(undefined, 4), data.subarray(0, 5));
      expectSameBytes(await range(995, 5000), data.subarray(995));
      expectSameBytes(await range(999, 999), data.subarray(999));
      expect((await range(1000)).length).toBe(0);
      expect((await range(5000, 6000)).length).toBe(0);
      await expectCode(store.get(sha256, { start: 5, end: 4 }), ValidationError, 'blob_range_invalid');
      await expectCode(store.get(sha256, { start: -1 }), ValidationError, 'blob_range_invalid');
      await expectCode(store.get(sha256, { start: 1.5 }), ValidationError, 'blob_range_invalid');
    });

    it('stat, has and delete; delete is idempotent; get of a missing blob is blob_not_found', async () => {
      const { sha256 } = await store.put(Buffer.from('delete me'));
      await store.delete(sha256);
      await store.delete(sha256);
      expect(await store.stat(sha256)).toBeNull();
      expect(await store.has(sha256)).toBe(false);
      const err = await expectCode(store.get(sha256), NotFoundError, 'blob_not_found');
      expect(err.message).toContain(sha256);
      await store.delete(sha256Of(Buffer.from('never stored')));
    });

    it('rejects ids that are not 64 lowercase hex characters, before touching storage', async () => {
      const bad = ['abc', '../../../../etc/passwd', `${'a'.repeat(62)}/x`, EMPTY_SHA256.toUpperCase(), `${EMPTY_SHA256}0`, ''];
      for (const id of bad) {
        await expectCode(store.get(id), ValidationError, 'blob_sha256_invalid');
        await expectCode(store.stat(id), ValidationError, 'blob_sha256_invalid');
        await expectCode(store.has(id), ValidationError, 'blob_sha256_invalid');
        await expectCode(store.delete(id), ValidationError, 'blob_sha256_invalid');
      }
      await expectCode(store.put(Buffer.from('x'), { expectedSha256: '../x' }), ValidationError, 'blob_sha256_invalid');
      await expectCode(store.put(Buffer.from('x'), { maxBytes: -1 }), ValidationError, 'blob_max_bytes_invalid');
    });

    it('refuses more than maxBytes with blob_too_large and stores nothing', async () => {
      const data = bytesOf(200_000, 6);
      const err = await expectCode(store.put(chunked(200_000, 6), { maxBytes: 199_999 }), PayloadTooLargeError, 'blob_too_large');
      expect(err.details).toEqual({ maxBytes: 199_999 });
      await expectCode(store.put(data, { maxBytes: 0 }), PayloadTooLargeError, 'blob_too_large');
      expect(await store.has(sha256OfChunked(200_000, 6))).toBe(false);
      expect(await store.has(sha256Of(data))).toBe(false);
      expect(await fixture.leftovers()).toEqual([]);
      expect(await store.put(data, { maxBytes: data.length })).toEqual({ sha256: sha256Of(data), size: data.length });
    });

    it('refuses data that does not match expectedSha256 and stores nothing', async () => {
      const data = Buffer.from('the real bytes');
      const expected = sha256Of(Buffer.from('other bytes'));
      const err = await expectCode(store.put(data, { expectedSha256: expected }), ValidationError, 'blob_checksum_mismatch');
      expect(err.details).toEqual({ expected, actual: sha256Of(data) });
      expect(await store.has(sha256Of(data))).toBe(false);
      expect(await fixture.leftovers()).toEqual([]);
      expect(await store.put(data, { expectedSha256: sha256Of(data) })).toEqual({ sha256: sha256Of(data), size: data.length });
    });

    it('a blob write interrupted halfway by a source error leaves no partial blob visible', async () => {
      for (const failAt of [100 * 1024, 12 * MiB]) {
        const boom = new Error(`source failed after ${failAt} bytes`);
        const source = chunked(failAt + MiB, 7, (produced) => {
          if (produced >= failAt) throw boom;
        });
        expect(await rejection(store.put(source))).toBe(boom);
        expect(await store.has(sha256OfChunked(failAt, 7))).toBe(false);
        expect(await store.has(sha256OfChunked(failAt + MiB, 7))).toBe(false);
        expect(await fixture.leftovers()).toEqual([]);
      }
    });

    it('a blob write aborted halfway by its AbortSignal leaves no partial blob visible', async () => {
      for (const abortAt of [100 * 1024, 12 * MiB]) {
        const controller = new AbortController();
        const source = chunked(abortAt + MiB, 8, async (produced) => {
          if (produced < abortAt || controller.signal.aborted) return;
          controller.abort(new Error('client went away'));
          await new Promise((resolve) => setTimeout(resolve, 20)); // a source that keeps going a little
        });
        const err = await rejection(store.put(source, { signal: controller.signal }));
        expect(err).toBe(controller.signal.reason);
        expect(await store.has(sha256OfChunked(abortAt, 8))).toBe(false);
        expect(await store.has(sha256OfChunked(abortAt + MiB, 8))).toBe(false);
        expect(await fixture.leftovers()).toEqual([]);
      }
      const already = AbortSignal.abort();
      expect(await rejection(store.put(Buffer.from('late'), { signal: already }))).toBe(already.reason);
      expect(await store.has(sha256Of(Buffer.from('late')))).toBe(false);
    });

    it('streams tens of MB both ways without holding the blob in memory', async () => {
      const total = 40 * MiB;
      const before = await fixture.storedBytes();
      let landedWhileStreaming = 0;
      // Halfway, hold the source until data has reached storage: a store that buffered the whole
      // blob before writing would never get there, and this test would time out.
      const source = chunked(total, 9, async (produced) => {
        if (produced !== 24 * MiB) return;
        await waitFor(async () => (await fixture.storedBytes()) - before >= 8 * MiB, '8 MiB to reach storage mid-put');
        landedWhileStreaming = (await fixture.storedBytes()) - before;
      });
      const ref = await store.put(Readable.from(source));
      expect(ref).toEqual({ sha256: sha256OfChunked(total, 9), size: total });
      expect(landedWhileStreaming).toBeGreaterThanOrEqual(8 * MiB);

      const stream = await store.get(ref.sha256);
      const hash = createHash('sha256');
      let chunks = 0;
      let largest = 0;
      for await (const chunk of stream) {
        const bytes = chunk as Uint8Array;
        hash.update(bytes);
        chunks++;
        largest = Math.max(largest, bytes.byteLength);
      }
      expect(hash.digest('hex')).toBe(ref.sha256);
      expect(chunks).toBeGreaterThan(40);
      expect(largest).toBeLessThanOrEqual(MiB);

      const partial = await store.get(ref.sha256, { start: 30 * MiB });
      for await (const chunk of partial) {
        expect((chunk as Uint8Array).byteLength).toBeGreaterThan(0);
        break; // leaving early destroys the stream: no leak, no error
      }
      await waitFor(async () => partial.destroyed, 'the abandoned stream to be destroyed');
    });

    it('ping succeeds on a healthy store', async () => {
      await store.ping();
      expect(await fixture.leftovers()).toEqual([]);
    });
  });
}
