import { describe, expect, it } from 'vitest';
import { Graph } from '../graph/graph.js';
import * as g from '../graph/ops.js';
import { rng } from '../onnx/gradcheck.js';
import { Session } from '../onnx/session.js';
import { SFT_IGNORE_INDEX, sftBatch, sftBatches } from './sft.js';

const X = SFT_IGNORE_INDEX;

describe('SFT batches', () => {
  it('scores completion tokens only: prompt and padding targets are −100', () => {
    const b = sftBatch([{ prompt: [1, 2, 3], completion: [7, 8] }, { prompt: [4], completion: [9, 10, 11] }], { seqLen: 6, rows: 3, padId: 0 });
    // Row 0: s = 1 2 3 7 8 → inputs 1 2 3 7 | targets (2) (3) 7 8; row 1: s = 4 9 10 11; row 2: padding.
    expect(Array.from(b.inputs)).toEqual([1, 2, 3, 7, 0, 0, 4, 9, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(Array.from(b.targets)).toEqual([X, X, 7, 8, X, X, 9, 10, 11, X, X, X, X, X, X, X, X, X]);
    expect(b.scored).toBe(5);
  });

  it('the core cross-entropy then averages over completion tokens alone', async () => {
    const [B, T, V] = [2, 5, 11];
    const b = sftBatch([{ prompt: [1, 2], completion: [3, 4, 5] }, { prompt: [6, 7, 8], completion: [9] }], { seqLen: T });
    const graph = new Graph('sft-ce');
    const logits = graph.input('logits', [B * T, V]);
    graph.output('loss', g.softmaxCrossEntropy(logits, graph.input('targets', [B * T], 'int64')).loss);
    const r = rng(1);
    const l = Float32Array.from({ length: B * T * V }, () => r.normal());
    const out = await (await Session.create(graph, { threads: 1 })).run({ logits: l, targets: BigInt64Array.from(b.targets, BigInt) });
    // Reference: −log softmax at the scored positions only.
    let sum = 0;
    b.targets.forEach((y, i) => {
      if (y === X) return;
      const row = l.subarray(i * V, (i + 1) * V);
      const max = Math.max(...row);
      sum += Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0)) + max - row[y]!;
    });
    const want = sum / b.scored;
    console.log(`maxdiff ${Math.abs(Number(out.loss!.data[0]) - want).toExponential(1)} ≤ tol 1e-5 (masked cross-entropy over ${b.scored} completion targets)`);
    expect(b.scored).toBe(4);
    expect(Math.abs(Number(out.loss!.data[0]) - want)).toBeLessThanOrEqual(1e-5);
  });

  it('batches a list in order and says what to do with bad examples', () => {
    const ex = Array.from({ length: 5 }, (_, i) => ({ prompt: [i + 1], completion: [i + 10] }));
    const batches = [...sftBatches(ex, { seqLen: 2, rows: 2 })];
    expect(batches.map((b) => b.scored)).toEqual([2, 2, 1]);
    expect(Array.from(batches[2]!.inputs)).toEqual([5, 0, 0, 0]);
    expect(() => sftBatch([{ prompt: [1, 2, 3], completion: [4, 5] }], { seqLen: 3 })).toThrow(/3 prompt \+ 2 completion tokens, more than seqLen \+ 1 = 4; raise seqLen/);
    expect(() => sftBatch([{ prompt: [], completion: [4] }], { seqLen: 3 })).toThrow(/empty prompt/);
    expect(() => sftBatch(ex, { seqLen: 3, rows: 2 })).toThrow(/5 examples do not fit in 2 rows/);
  });
});
