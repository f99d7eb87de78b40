/**
 * Every primitive op's gradient against central finite differences, run through ONNX Runtime in
 * float64 (ONNX Runtime 1.30 runs every op of the table in float64 on the CPU).
 */
import { describe, expect, it } from 'vitest';
import { type CheckInput, checkGradients } from '../onnx/gradcheck.js';
import { Session, ort } from '../onnx/session.js';
import { Graph } from './graph.js';
import { OPS, type OpName } from './op-table.js';
import * as g from './ops.js';
import type { Tensor } from './tensor.js';

interface Case {
  inputs: CheckInput[];
  build: (...xs: Tensor[]) => Tensor | Tensor[];
  tol?: number;
  h?: number;
}
const N = (...shape: number[]): CheckInput => ({ shape });
const P = (...shape: number[]): CheckInput => ({ shape, init: 'positive' });
const I = (shape: number[], values: number[]): CheckInput => ({ shape, dtype: 'int64', values });
const TOL = 1e-6;
const causal = (like: Tensor): Tensor => like.graph.constant([0, -1e9, -1e9, 0, 0, -1e9, 0, 0, 0], [3, 3], like.dtype);
/** A fixed block-quantized W [K=40, N=3] (blocks of 16, the last one ragged), codes and scales as constants. */
const NBITS = { K: 40, N: 3, blockSize: 16 } as const;
const nbitsConsts = (like: Tensor, bits: 4 | 8, scaleType: 'float32' | 'float64'): [Tensor, Tensor] => {
  const blob = (NBITS.blockSize * bits) / 8;
  const codes = Uint8Array.from({ length: NBITS.N * 3 * blob }, (_, i) => (i * 37 + 11) % 256);
  const scales = Array.from({ length: NBITS.N * 3 }, (_, i) => 0.05 + 0.01 * i);
  return [like.graph.constant(codes, [NBITS.N, 3, blob], 'uint8'), like.graph.constant(scales, [NBITS.N, 3], scaleType)];
};

/** Comparisons, casts to bool and fill have no gradient of their own; each case checks the gradient that flows around them. */
const CASES: Record<OpName, Case[]> = {
  add: [{ inputs: [N(2, 3), N(3)], build: g.add }],
  sub: [{ inputs: [N(2, 1), N(1, 3)], build: g.sub }],
  mul: [{ inputs: [N(2, 3), N(2, 1)], build: g.mul }],
  div: [{ inputs: [N(2, 3), P(3)], build: g.div }],
  equal: [{ inputs: [N(2, 3), N(2, 3)], build: (a, b) => g.where(g.equal(a, a), a, b) }],
  less: [{ inputs: [N(2, 3), N(2, 3)], build: (a, b) => g.where(g.less(a, b), a, b) }],
  greater: [{ inputs: [N(2, 3), N(2, 3)], build: (a, b) => g.mul(a, g.cast(g.greater(a, b), a.dtype)) }],
  neg: [{ inputs: [N(2, 3)], build: g.neg }],
  exp: [{ inputs: [N(2, 3)], build: g.exp }],
  log: [{ inputs: [P(2, 3)], build: g.log }],
  tanh: [{ inputs: [N(2, 3)], build: g.tanh }],
  sigmoid: [{ inputs: [N(2, 3)], build: g.sigmoid }],
  relu: [{ inputs: [N(2, 3)], build: g.relu }],
  sqrt: [{ inputs: [P(2, 3)], build: g.sqrt }],
  reciprocal: [{ inputs: [P(2, 3)], build: g.reciprocal }],
  pow: [{ inputs: [P(2, 3)], build: (x) => g.pow(x, 2.5) }],
  where: [{ inputs: [{ shape: [2, 3], dtype: 'bool', values: [1, 0, 1, 0, 0, 1] }, N(2, 3), N(3)], build: g.where }],
  // float64 → float32 → float64 rounds to float32, so this one case has an fp32 tolerance.
  cast: [{ inputs: [N(2, 3)], build: (x) => g.cast(g.cast(x, 'float32'), 'float64'), h: 1e-3, tol: 1e-3 }],
  matmul: [
    { inputs: [N(2, 3, 4), N(4, 5)], build: g.matmul }, // shared weight: dB folded into one GEMM
    { inputs: [N(2, 1, 3, 4), N(3, 4, 2)], build: g.matmul }, // batch dims broadcast both ways
  ],
  // b of one row runs elementwise in the If's then branch, more rows the MatMul branch; both are checked
  // against finite differences of what ONNX Runtime computed, so a wrong branch value fails
  thinMatmul: [
    { inputs: [N(2, 3, 4), N(2, 1, 4)], build: (a, b) => g.thinMatmul(a, b, { transB: true }) }, // a dot per row
    { inputs: [N(2, 3, 4), N(2, 5, 4)], build: (a, b) => g.thinMatmul(a, b, { transB: true }) },
    { inputs: [N(2, 3, 1), N(1, 1, 5)], build: (a, b) => g.thinMatmul(a, b) }, // an outer product, batch broadcast
    { inputs: [N(1, 3, 2), N(2, 2, 5)], build: (a, b) => g.thinMatmul(a, b) },
  ],
  transpose: [{ inputs: [N(2, 3, 4)], build: (x) => g.transpose(x, [2, 0, 1]) }],
  reshape: [{ inputs: [N(2, 6)], build: (x) => g.reshape(x, [3, -1]) }],
  expand: [{ inputs: [N(3, 1)], build: (x) => g.expand(x, [2, 3, 4]) }],
  reduceSum: [{ inputs: [N(2, 3, 4)], build: (x) => g.reduceSum(x, [0, 2]) }],
  reduceMean: [{ inputs: [N(2, 3, 4)], build: (x) => g.reduceMean(x, 1, true) }],
  reduceMax: [
    { inputs: [N(3, 4)], build: (x) => g.reduceMax(x, -1) },
    // ties: the gradient is split between the equal maxima
    { inputs: [N(2, 2)], build: (x) => g.reduceMax(g.concat([x, x], 1), 1, true) },
  ],
  // the gradient of the element it picks (gatherElements at the argmax), so a wrong index fails
  argMax: [{ inputs: [N(3, 4)], build: (x) => g.gatherElements(x, g.reshape(g.argMax(x, -1), [3, 1]), 1) }],
  softmax: [{ inputs: [N(3, 4)], build: (x) => g.softmax(x, -1) }, { inputs: [N(3, 4)], build: (x) => g.softmax(x, 0) }],
  logSoftmax: [{ inputs: [N(3, 4)], build: (x) => g.logSoftmax(x, -1) }],
  gather: [{ inputs: [N(5, 3), I([2, 3], [0, 4, 4, 1, 0, 4])], build: g.gather }], // repeated rows accumulate
  scatterAdd: [{ inputs: [N(5, 3), I([4], [1, 3, 1, 0]), N(4, 3)], build: g.scatterAdd }],
  gatherElements: [{ inputs: [N(3, 4), I([3, 2], [0, 3, 1, 1, 2, 0])], build: (x, i) => g.gatherElements(x, i, 1) }], // repeats accumulate
  scatterElementsAdd: [{ inputs: [N(3, 4), I([3, 2], [0, 3, 1, 1, 2, 0]), N(3, 2)], build: (x, i, u) => g.scatterElementsAdd(x, i, u, 1) }],
  slice: [{ inputs: [N(3, 5)], build: (x) => g.slice(x, 1, 1, 4) }],
  pad: [{ inputs: [N(3, 2)], build: (x) => g.pad(x, 0, 1, 2) }],
  concat: [{ inputs: [N(2, 3), N(2, 2)], build: (a, b) => g.concat([a, b], 1) }],
  split: [
    { inputs: [N(2, 5)], build: (x) => g.split(x, 1, [2, 3]) },
    { inputs: [N(2, 5)], build: (x) => g.split(x, 1, [2, 3])[1]! }, // an unused output contributes zeros
  ],
  // part sizes come from other tensors' dims (int inputs here, so only x is differentiated)
  splitLike: [
    { inputs: [N(2, 5), I([2, 2], [0, 0, 0, 0]), I([3], [0, 0, 0])], build: (x, a, b) => g.splitLike(x, 1, [[a, 1], [b, 0]]) },
    { inputs: [N(2, 5), I([2, 2], [0, 0, 0, 0]), I([3], [0, 0, 0])], build: (x, a, b) => g.splitLike(x, 1, [[a, 1], [b, 0]])[1]! },
  ],
  fill: [{ inputs: [N(2, 3)], build: (x) => g.mul(x, g.add(g.full(x.graph, [2, 3], 2, x.dtype), x)) }],
  // positions from a run-time size select which elements pass: the gradient flows through the where
  arange: [{ inputs: [N(2, 4)], build: (x) => g.where(g.less(g.arange(x, 1), g.arange(x, 1, true)), x, g.mul(x, 3)) }],
  attention: [
    { inputs: [N(1, 2, 6, 2), N(1, 2, 3, 2), N(1, 2, 3, 2)], build: (q, k, v) => g.attention(q, k, v, causal(q), 2).out }, // GQA: G=2
    { inputs: [N(2, 1, 3, 2), N(2, 1, 3, 2), N(2, 1, 3, 2)], build: (q, k, v) => Object.values(g.attention(q, k, v, causal(q), 1)) },
  ],
  rmsNorm: [{ inputs: [N(2, 3, 4), N(4)], build: (x, s) => g.rmsNorm(x, s, 1e-5) }],
  softmaxCrossEntropy: [
    { inputs: [N(5, 4), I([5], [1, -100, 3, 0, 3])], build: (x, t) => g.softmaxCrossEntropy(x, t).loss },
    { inputs: [N(3, 4), I([3], [2, 0, -100])], build: (x, t) => Object.values(g.softmaxCrossEntropy(x, t)) },
  ],
  // MatMulNBits runs in float32 only (exact float compute with accuracy level 0), hence the fp32 tolerance;
  // it is linear in x, so a large step h loses nothing to truncation and least to fp32 rounding.
  matMulNBits: ([4, 8] as const).map((bits) => ({
    inputs: [N(2, 2, NBITS.K)],
    build: (x: Tensor) => g.cast(g.matMulNBits(g.cast(x, 'float32'), ...nbitsConsts(x, bits, 'float32'), { ...NBITS, bits, accuracyLevel: 0 }), 'float64'),
    h: 0.1,
    tol: 1e-3,
  })),
  // RotaryEmbedding runs in float32 only, hence the fp32 tolerance; linear in x, so a large h is exact.
  rotaryEmbedding: [{
    inputs: [N(2, 2, 3, 4)],
    build: (x) => {
      const angles = Array.from({ length: 10 }, (_, i) => 0.3 * i + 0.1);
      const cos = x.graph.constant(angles.map(Math.cos), [5, 2], 'float32');
      const sin = x.graph.constant(angles.map(Math.sin), [5, 2], 'float32');
      const pos = x.graph.constant([0, 4, 2, 1, 1, 3], [2, 3], 'int64');
      return g.cast(g.rotaryEmbedding(g.cast(x, 'float32'), cos, sin, pos), 'float64');
    },
    h: 0.1,
    tol: 1e-3,
  }],
  // Frozen codes and scales get no gradient; the check covers the gradient that flows around the dequantized W.
  dequantizeNBits: [{ inputs: [N(2, NBITS.N)], build: (x) => g.matmul(x, g.dequantizeNBits(...nbitsConsts(x, 4, 'float64'), { ...NBITS, bits: 4 })) }],
};

describe('op table gradients vs central finite differences (float64)', () => {
  it('has a gradient check for every op of the table', () => {
    expect(Object.keys(CASES).sort()).toEqual(Object.keys(OPS).sort());
  });

  for (const [op, cases] of Object.entries(CASES))
    cases.forEach((c, i) => {
      it(`${op}${cases.length > 1 ? ` #${i + 1}` : ''}`, async () => {
        const tol = c.tol ?? TOL;
        const { maxdiff } = await checkGradients(c.inputs, c.build, { h: c.h });
        console.log(`maxdiff ${maxdiff.toExponential(1)} ≤ tol ${tol.toExponential(0)} (${op}${cases.length > 1 ? ` #${i + 1}` : ''})`);
        expect(maxdiff).toBeLessThanOrEqual(tol);
      });
    });

  it('catches a wrong gradient (tanh vjp with its sign flipped)', async () => {
    const row = OPS.tanh;
    const good = row.vjp;
    row.vjp = (n, gy) => good(n, gy).map((t) => t && g.neg(t));
    try {
      const { maxdiff } = await checkGradients([N(2, 3)], g.tanh);
      console.log(`maxdiff ${maxdiff.toExponential(1)} > tol ${TOL.toExponential(0)} (tanh, sabotaged)`);
      expect(maxdiff).toBeGreaterThan(0.1);
    } finally {
      row.vjp = good;
    }
  });
});

describe('argMax values (its gradient check cannot see which index it picks)', () => {
  it('picks the largest per row, the first at ties, as int64 with the axis dropped', async () => {
    const graph = new Graph('argmax');
    const x = graph.input('x', ['B', 4]);
    graph.output('rows', g.argMax(x, -1));
    graph.output('cols', g.argMax(x, 0));
    const s = await Session.create(graph, { threads: 1 });
    const data = Float32Array.from([0, 3, 3, 1, -5, -2, -7, -2, 1, 0, 0, 9]);
    const res = await s.run({ x: new ort.Tensor('float32', data, [3, 4]) });
    expect(res.rows!.dims).toEqual([3]);
    expect(Array.from(res.rows!.data as BigInt64Array, Number)).toEqual([1, 1, 3]);
    expect(Array.from(res.cols!.data as BigInt64Array, Number)).toEqual([2, 0, 0, 2]);
  });

  it('refuses an integer tensor', () => {
    const graph = new Graph('argmax-int');
    expect(() => g.argMax(graph.input('i', [3], 'int64'))).toThrow(/argMax: expected a float tensor/);
  });
});

describe('thinMatmul over a run-time row count (the If node picks the branch per run)', () => {
  /** A plain triple-loop a @ b (or a @ bᵀ) over [batch, rows, cols] arrays, the reference. */
  function reference(a: Float32Array, b: Float32Array, batch: number, M: number, K: number, N: number, transB: boolean): number[] {
    const y: number[] = [];
    for (let z = 0; z < batch; z++)
      for (let m = 0; m < M; m++)
        for (let n = 0; n < N; n++) {
          let s = 0;
          for (let k = 0; k < K; k++) s += a[(z * M + m) * K + k]! * b[transB ? (z * N + n) * K + k : (z * K + k) * N + n]!;
          y.push(s);
        }
    return y;
  }
  const fill = (n: number, seed: number): Float32Array => Float32Array.from({ length: n }, (_, i) => Math.sin(seed + i * 1.7));

  it.each(['tested per product', 'shared'])('gives the matrix product with one row of b (elementwise) and with several (MatMul), condition %s', async (how) => {
    const graph = new Graph('thin');
    const q = graph.input('q', ['B', 'GS', 4]);
    const k = graph.input('k', ['B', 'S', 4]);
    const p = graph.input('p', ['B', 'GS', 'S']);
    const v = graph.input('v', ['B', 'S', 3]);
    const single = how === 'shared' ? g.equal(g.reduceMax(g.arange(k, 1)), 0) : undefined;
    graph.output('scores', g.thinMatmul(q, k, { transB: true, single })); // [B, GS, S]
    graph.output('values', g.thinMatmul(p, v, { single })); // [B, GS, 3]
    const s = await Session.create(graph, { threads: 1 });
    for (const S of [1, 3]) {
      const B = 2;
      const GS = 2 * S;
      const [qd, kd, pd, vd] = [fill(B * GS * 4, 1), fill(B * S * 4, 2), fill(B * GS * S, 3), fill(B * S * 3, 4)];
      const res = await s.run({
        q: new ort.Tensor('float32', qd, [B, GS, 4]),
        k: new ort.Tensor('float32', kd, [B, S, 4]),
        p: new ort.Tensor('float32', pd, [B, GS, S]),
        v: new ort.Tensor('float32', vd, [B, S, 3]),
      });
      expect(res.scores!.dims).toEqual([B, GS, S]);
      expect(res.values!.dims).toEqual([B, GS, 3]);
      const close = (got: ort.Tensor, want: number[]): void => Array.from(got.data as Float32Array).forEach((x, i) => expect(x).toBeCloseTo(want[i]!, 5));
      close(res.scores!, reference(qd, kd, B, GS, 4, S, true));
      close(res.values!, reference(pd, vd, B, GS, S, 3, false));
    }
  });

  it('refuses operands whose inner dims differ, naming both shapes', () => {
    const graph = new Graph('thin-bad');
    expect(() => g.thinMatmul(graph.input('a', ['B', 2, 4]), graph.input('b', ['B', 'S', 3]), { transB: true })).toThrow(/thinMatmul: expected .*\[B,2,4\]/);
    const [a, b] = [graph.input('x', ['B', 2, 'S']), graph.input('y', ['B', 'S', 3])];
    expect(() => g.thinMatmul(a, b, { single: graph.input('s', [2], 'bool') })).toThrow(/thinMatmul: the one-row condition must be a one-element bool, got \[2\] bool/);
  });
});
