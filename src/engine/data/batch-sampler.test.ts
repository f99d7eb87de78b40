import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchSampler, type SamplerCursor } from './batch-sampler.js';
import { evalBatches } from './eval-batches.js';
import { TokenShardReader } from './token-shard-reader.js';
import { writeTokenShard } from './token-shard-writer.js';

let dir: string;
const readers: TokenShardReader[] = [];
beforeAll(async () => {
  dir = join(tmpdir(), `test-${randomUUID()}`);
  await mkdir(dir, { recursive: true });
});
afterAll(async () => {
  for (const r of readers) r.close();
  await rm(dir, { recursive: true, force: true });
});

/** A shard whose token at position p is offset + p (so windows are recognisable). */
async function rampShard(name: string, length: number, offset: number): Promise<TokenShardReader> {
  const path = join(dir, `${randomUUID()}-${name}`);
  await writeTokenShard(path, Array.from({ length }, (_, p) => offset + p), { vocabSize: 50_000 });
  const reader = TokenShardReader.open(path);
  readers.push(reader);
  return reader;
}

describe('BatchSampler', () => {
  it('gives windows whose targets are the inputs shifted by one, inside one shard', async () => {
    const a = await rampShard('a.tok', 500, 0);
    const b = await rampShard('b.tok', 300, 10_000);
    const short = await rampShard('short.tok', 8, 40_000); // shorter than T + 1: never sampled
    const sampler = BatchSampler.create([a, short, b], { seed: 1 });
    const B = 8;
    const T = 16;
    let fromB = 0;
    for (let step = 0; step < 50; step++) {
      const { inputs, targets } = sampler.nextBatch(B, T);
      expect(inputs.length).toBe(B * T);
      for (let row = 0; row < B; row++) {
        const first = inputs[row * T]!;
        expect(first < 40_000).toBe(true);
        const shardEnd = first >= 10_000 ? 10_300 : 500;
        if (first >= 10_000) fromB++;
        const ramp = Int32Array.from({ length: T + 1 }, (_, t) => first + t);
        expect(inputs.subarray(row * T, row * T + T)).toEqual(ramp.subarray(0, T));
        expect(targets.subarray(row * T, row * T + T)).toEqual(ramp.subarray(1));
        expect(first + T).toBeLessThan(shardEnd); // the last target is inside the shard
      }
    }
    // b has 284 of the 768 valid starts: about 37% of 400 rows.
    expect(fromB / 400).toBeGreaterThan(0.28);
    expect(fromB / 400).toBeLessThan(0.46);
  });

  it('same seed ⇒ same batches; another seed ⇒ other batches', async () => {
    const shard = await rampShard('s.tok', 1000, 0);
    const draw = (seed: number) => {
      const s = BatchSampler.create([shard], { seed });
      return Array.from({ length: 5 }, () => Array.from(s.nextBatch(4, 32).inputs));
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
  });

  it('resumes from a JSON cursor with exactly the batches the original would have drawn', async () => {
    const a = await rampShard('a.tok', 700, 0);
    const b = await rampShard('b.tok', 900, 20_000);
    const original = BatchSampler.create([a, b], { seed: 123 });
    for (let i = 0; i < 7; i++) original.nextBatch(4, 64);
    const saved = JSON.stringify(original.cursor());
    const expected = Array.from({ length: 10 }, () => original.nextBatch(4, 64));

    const resumed = BatchSampler.resume([a, b], JSON.parse(saved) as SamplerCursor);
    const actual = Array.from({ length: 10 }, () => resumed.nextBatch(4, 64));
    expect(actual).toEqual(expected);
    expect(resumed.cursor()).toEqual(original.cursor());
  });

  it('counts steps, served tokens and epochs', async () => {
    const shard = await rampShard('e.tok', 100, 0);
    const sampler = BatchSampler.create([shard], { seed: 0 });
    sampler.nextBatch(2, 30);
    expect(sampler.cursor()).toMatchObject({ version: 1, seed: 0, step: 1, epoch: 0, tokensServed: 60 });
    sampler.nextBatch(2, 30);
    expect(sampler.cursor()).toMatchObject({ step: 2, epoch: 1, tokensServed: 120 });
    expect(sampler.cursor().shards).toEqual([{ name: expect.stringMatching(/e\.tok$/), tokenCount: 100 }]);
  });

  it('refuses a cursor made for other shards, and impossible windows', async () => {
    const a = await rampShard('a.tok', 100, 0);
    const b = await rampShard('b.tok', 120, 0);
    const cursor = BatchSampler.create([a], { seed: 0 }).cursor();
    expect(() => BatchSampler.resume([b], cursor)).toThrow(/cursor was saved for shards \[.*a\.tok \(100 tokens\)\] but the sampler was given \[.*b\.tok \(120 tokens\)\]/);
    expect(() => BatchSampler.resume([a], { ...cursor, step: -1 })).toThrow(/cursor is malformed \(step: /);
    expect(() => BatchSampler.resume([a], { ...cursor, version: 2 } as unknown as SamplerCursor)).toThrow(/cursor is malformed \(version: /);
    expect(() => BatchSampler.create([a], { seed: 0 }).nextBatch(1, 100)).toThrow(/No shard holds a window of T \+ 1 = 101 tokens \(the longest has 100\)/);
    expect(() => BatchSampler.create([a], { seed: 0 }).nextBatch(0, 4)).toThrow(/positive integers/);
    expect(() => BatchSampler.create([], { seed: 0 })).toThrow(/at least one/);
  });
});

describe('evalBatches', () => {
  it('scores every target exactly once, padding the ends', async () => {
    const a = await rampShard('a.tok', 23, 0); // 22 targets: windows of 8 → 8, 8, 6
    const b = await rampShard('b.tok', 9, 100); // 8 targets: one full window
    const batches = [...evalBatches([a, b], { batch: 3, seqLen: 8 })];
    expect(batches.map((x) => x.rows)).toEqual([3, 1]);
    expect(batches[1]!.inputs.length).toBe(8);
    const scored = batches.flatMap((x) => Array.from(x.targets).filter((t) => t !== -100));
    expect(scored).toEqual([...Array.from({ length: 22 }, (_, i) => i + 1), ...Array.from({ length: 8 }, (_, i) => 101 + i)]);
    expect(batches.reduce((n, x) => n + x.targetCount, 0)).toBe(30);
    // Third row of the first batch: inputs 16..22 then padding (22 has no target); targets 17..22 then ignored.
    expect(Array.from(batches[0]!.inputs.subarray(16, 24))).toEqual([16, 17, 18, 19, 20, 21, 22, 0]);
    expect(Array.from(batches[0]!.targets.subarray(16, 24))).toEqual([17, 18, 19, 20, 21, 22, -100, -100]);
  });

  it('pads the last batch to B rows when asked', async () => {
    const a = await rampShard('a.tok', 10, 0);
    const [only] = [...evalBatches([a], { batch: 4, seqLen: 4, padBatch: true, ignoreIndex: -1, padToken: 7 })];
    expect(only!.rows).toBe(3);
    expect(only!.inputs.length).toBe(16);
    expect(Array.from(only!.targets)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, -1, -1, -1, -1, -1, -1, -1]);
    expect(Array.from(only!.inputs.subarray(8))).toEqual([8, 9, 7, 7, 7, 7, 7, 7]); // 9 has no target: ignored
    expect(only!.targetCount).toBe(9);
  });
});
