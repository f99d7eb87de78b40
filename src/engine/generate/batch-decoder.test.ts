import { describe, expect, it } from 'vitest';
import { BatchDecoder } from './batch-decoder.js';
import { COLUMN_CHUNK } from './kv-cache.js';
import { StepDecoder } from './step-decoder.js';
import { argmax } from './sampler.js';
import { gqaMicro, referenceLogits, testWeights } from './test-models.js';

const cfg = gqaMicro;
const V = cfg.vocabSize;
const maxAbsDiff = (a: Float32Array, b: Float32Array): number => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

describe('BatchDecoder', () => {
  it('rows joining and leaving keep every sequence on its own logits, across column chunks', async () => {
    const { weights } = testWeights(cfg, 6);
    const dec = await StepDecoder.create(cfg, weights, { threads: 1 });
    const seqs: Record<number, number[]> = { 1: [5, 9, 13, 2, 40, 41, 7, 8, 9, 10, 11, 12, 13, 14], 2: [3, 3, 3, 4, 5, 6], 3: [50, 20, 10, 30, 31], 4: [17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27] };
    const refs = Object.fromEntries(await Promise.all(Object.entries(seqs).map(async ([id, s]) => [id, await referenceLogits(cfg, weights, s)] as const)));
    const want = (id: number, n: number): Float32Array => refs[id]!.subarray((n - 1) * V, n * V); // logits after n tokens
    const bd = new BatchDecoder(dec, { prefillScores: 150 }); // 2 rows of ≤ 8 tokens per prefill call
    const fed: Record<number, number> = {};
    let maxdiff = 0;
    const join = async (ids: number[], n: number): Promise<void> => {
      const out = await bd.add(ids.map((id) => ({ id, tokens: seqs[id]!.slice(0, n) })));
      ids.forEach((id, i) => ((fed[id] = n), (maxdiff = Math.max(maxdiff, maxAbsDiff(out[i]!, want(id, n))))));
    };
    const step = async (): Promise<void> => {
      const logits = await bd.step(bd.order.map((id) => seqs[id]![fed[id]!]!));
      bd.order.forEach((id, b) => (maxdiff = Math.max(maxdiff, maxAbsDiff(logits.subarray(b * V, (b + 1) * V), want(id, ++fed[id]!)))));
    };

    await join([1], 6); // the long one first
    await step();
    await step();
    await join([2, 3], 2); // shorter rows join beside a longer one (one prefill call)
    expect([bd.lengthOf(2), bd.width]).toEqual([2, 8]);
    await step();
    bd.remove([1]); // the longest leaves; the others keep their order
    expect(bd.order).toEqual([2, 3]);
    expect(bd.width).toBe(3);
    await step();
    expect(bd.lengthOf(3)).toBe(4);
    let calls = 0;
    const run = dec.run.bind(dec);
    dec.run = (call) => (calls++, run(call));
    await join([1, 4], 10); // rejoins longer than everyone, beside a new one: two prefill calls (2·10² > 150)
    expect(calls).toBe(2);
    await step();
    expect(bd.order).toEqual([2, 3, 1, 4]);
    expect([bd.lengthOf(1), bd.width]).toEqual([11, 11]);
    console.log(`maxdiff ${maxdiff.toExponential(1)} ≤ tol 1e-4 (rows joining and leaving vs llamaForward)`);
    expect(maxdiff).toBeLessThanOrEqual(1e-4);
    await expect(bd.add([{ id: 2, tokens: [1] }])).rejects.toThrow(/already in the batch/);
    await expect(bd.add([{ id: 9, tokens: [1] }, { id: 9, tokens: [2] }])).rejects.toThrow(/given twice/);
    await expect(bd.step([1])).rejects.toThrow(/expected 4 tokens/);
  });

  it('a row that grows past a column chunk re-lays the cache out; the rows beside it keep their logits', async () => {
    const { weights } = testWeights(cfg, 7);
    const dec = await StepDecoder.create(cfg, weights, { threads: 1 });
    const long = Array.from({ length: COLUMN_CHUNK + 8 }, (_, i) => (i * 13 + 5) % V);
    const short = [4, 8, 15, 16, 23, 42, 11, 12, 13, 14];
    const [refLong, refShort] = await Promise.all([referenceLogits(cfg, weights, long), referenceLogits(cfg, weights, short)]);
    const bd = new BatchDecoder(dec);
    let maxdiff = 0;
    const check = (got: Float32Array, ref: Float32Array, n: number): void => void (maxdiff = Math.max(maxdiff, maxAbsDiff(got, ref.subarray((n - 1) * V, n * V))));
    const [first] = await bd.add([{ id: 1, tokens: long.slice(0, COLUMN_CHUNK - 3) }]);
    check(first!, refLong, COLUMN_CHUNK - 3);
    const [single] = await bd.add([{ id: 3, tokens: long.slice(0, 1) }]); // a one-token prompt
    check(single!, refLong, 1);
    bd.remove([3]);
    await bd.add([{ id: 2, tokens: short.slice(0, 2) }]);
    for (let n = COLUMN_CHUNK - 3, m = 2; n < long.length; n++, m++) {
      const tokens = bd.order.map((id) => (id === 1 ? long[n]! : short[m % short.length]!));
      const logits = await bd.step(tokens);
      check(logits.subarray(0, V), refLong, n + 1);
      if (m < short.length) check(logits.subarray(V, 2 * V), refShort, m + 1);
      if (m === short.length - 1) bd.remove([2]);
    }
    expect(bd.lengthOf(1)).toBe(long.length);
    console.log(`maxdiff ${maxdiff.toExponential(1)} ≤ tol 1e-4 (a row crossing ${COLUMN_CHUNK} columns vs llamaForward)`);
    expect(maxdiff).toBeLessThanOrEqual(1e-4);
  });

  it('stepGreedy returns each row\'s argmax and advances the cache as step does', async () => {
    const { weights } = testWeights(cfg, 8);
    const dec = await StepDecoder.create(cfg, weights, { threads: 1 });
    const prompts = [[5, 9, 13, 2, 40, 41], [3, 3], [50, 20, 10, 30]];
    // Two batches in lockstep on the same prompts: one reads logits and picks their argmax, one takes the
    // graph's; each feeds its own picks back, so a wrong pick or a wrong cache column shows as a divergence.
    const [viaLogits, viaGraph] = [new BatchDecoder(dec), new BatchDecoder(dec)];
    const first = await viaLogits.add(prompts.map((tokens, id) => ({ id, tokens })));
    await viaGraph.add(prompts.map((tokens, id) => ({ id, tokens })));
    let [a, b] = [first.map((l) => argmax(l)), first.map((l) => argmax(l))];
    const picked: number[][] = [];
    for (let s = 0; s < 12; s++) {
      const logits = await viaLogits.step(a);
      a = a.map((_, r) => argmax(logits.subarray(r * V, (r + 1) * V)));
      b = Array.from(await viaGraph.stepGreedy(b));
      expect(b).toEqual(a);
      picked.push(b);
      if (s === 5) {
        // the middle row leaves
        viaLogits.remove([1]);
        viaGraph.remove([1]);
        [a, b] = [[a[0]!, a[2]!], [b[0]!, b[2]!]];
      }
    }
    expect(new Set(picked.flat()).size).toBeGreaterThan(3); // real continuations, not one repeated token
    expect(viaGraph.lengthOf(0)).toBe(prompts[0]!.length + 12);
    await expect(viaGraph.stepGreedy([1])).rejects.toThrow(/expected 2 tokens/);
    expect(await new BatchDecoder(dec).stepGreedy([])).toEqual(new Int32Array(0));
  });
});
