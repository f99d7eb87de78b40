/** Composite ops: gradients vs finite differences (float64), and values vs plain reference formulas. */
import { describe, expect, it } from 'vitest';
import { Graph } from '../graph/graph.js';
import * as g from '../graph/ops.js';
import type { Tensor } from '../graph/tensor.js';
import { checkGradients, rng } from '../onnx/gradcheck.js';
import { Session } from '../onnx/session.js';
import { causalAttention } from './attention.js';
import { crossEntropy, crossEntropyReference } from './loss.js';
import { swiglu } from './mlp.js';
import { rmsNorm, rmsNormReference } from './norm.js';
import { applyRope, ropeTables } from './rope.js';

const TOL = 1e-6;
const N = (...shape: number[]) => ({ shape });
const report = (name: string, maxdiff: number, tol: number): void => {
  console.log(`maxdiff ${maxdiff.toExponential(1)} ≤ tol ${tol.toExponential(0)} (${name})`);
  expect(maxdiff).toBeLessThanOrEqual(tol);
};

describe('composite gradients vs central finite differences (float64)', () => {
  it('rmsNorm', async () => {
    report('rmsNorm', (await checkGradients([N(2, 3, 4), N(4)], (x, s) => rmsNorm(x!, s!))).maxdiff, TOL);
  });
  it('rope (rotate_half)', async () => {
    const build = (x: Tensor) => applyRope(x, ropeTables(x.graph, 3, 4, 10000, x.dtype));
    report('rope', (await checkGradients([N(1, 2, 3, 4)], build)).maxdiff, TOL);
  });
  it('swiglu', async () => {
    report('swiglu', (await checkGradients([N(1, 2, 3), N(3, 5), N(3, 5), N(5, 3)], (x, a, b, c) => swiglu(x!, a!, b!, c!))).maxdiff, TOL);
  });
  it('causal attention, grouped-query (NH=4, NKV=2)', async () => {
    const inputs = [N(1, 4, 3, 2), N(1, 2, 3, 2), N(1, 2, 3, 2)];
    report('attention gqa', (await checkGradients(inputs, (q, k, v) => causalAttention(q!, k!, v!))).maxdiff, TOL);
  });
  it('cross-entropy with ignore index', async () => {
    const t = { shape: [4], dtype: 'int64' as const, values: [2, -100, 0, 2] };
    report('crossEntropy', (await checkGradients([N(4, 3), t], (x, y) => crossEntropy(x!, y!))).maxdiff, TOL);
  });
});

/** Runs a one-output float64 graph on the given inputs. */
async function run(shapes: number[][], build: (...xs: Tensor[]) => Tensor, values: number[][], dtypes?: ('float64' | 'int64')[]): Promise<number[]> {
  const graph = new Graph();
  const xs = shapes.map((s, i) => graph.input(`x${i}`, s, dtypes?.[i] ?? 'float64'));
  graph.output('y', build(...xs));
  const s = await Session.create(graph, { threads: 1 });
  const feeds = Object.fromEntries(values.map((v, i) => [`x${i}`, (dtypes?.[i] ?? 'float64') === 'int64' ? BigInt64Array.from(v.map(BigInt)) : Float64Array.from(v)]));
  return Array.from((await s.run(feeds)).y!.data as Float64Array, Number);
}
const maxAbs = (a: number[], b: number[]): number => Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
const randn = (n: number, seed: number): number[] => {
  const r = rng(seed);
  return Array.from({ length: n }, () => r.normal());
};

describe('composite values vs reference formulas', () => {
  it('fused rmsNorm and cross-entropy equal their primitive versions', async () => {
    const x = randn(24, 1);
    const s = randn(4, 2);
    const a = await run([[6, 4], [4]], (x, s) => rmsNorm(x!, s!), [x, s]);
    const b = await run([[6, 4], [4]], (x, s) => rmsNormReference(x!, s!), [x, s]);
    report('rmsNorm fused vs primitives', maxAbs(a, b), 1e-12);
    const t = [1, -100, 3, 0, 3, -100];
    const c = await run([[6, 4], [6]], (x, y) => crossEntropy(x!, y!), [x, t], ['float64', 'int64']);
    const d = await run([[6, 4], [6]], (x, y) => crossEntropyReference(x!, y!), [x, t], ['float64', 'int64']);
    report('crossEntropy fused vs primitives', maxAbs(c, d), 1e-12);
  });

  it('rope matches the Hugging Face rotate_half formula', async () => {
    const [T, HS, theta] = [3, 4, 10000];
    const x = randn(T * HS, 3);
    const got = await run([[1, 1, T, HS]], (x) => applyRope(x!, ropeTables(x!.graph, T, HS, theta, 'float64')), [x]);
    const want = x.map((_, k) => {
      const [t, d] = [Math.floor(k / HS), k % HS];
      const i = d % (HS / 2);
      const a = t * Math.pow(theta, (-2 * i) / HS);
      const rot = d < HS / 2 ? -x[t * HS + d + HS / 2]! : x[t * HS + d - HS / 2]!; // rotate_half
      return x[k]! * Math.cos(a) + rot * Math.sin(a);
    });
    report('rope vs rotate_half', maxAbs(got, want), 1e-12);
  });

  it('grouped-query attention matches repeat_kv + masked softmax', async () => {
    const [NH, NKV, T, HS] = [4, 2, 3, 2];
    const q = randn(NH * T * HS, 4);
    const k = randn(NKV * T * HS, 5);
    const v = randn(NKV * T * HS, 6);
    const got = await run([[1, NH, T, HS], [1, NKV, T, HS], [1, NKV, T, HS]], (a, b, c) => causalAttention(a!, b!, c!), [q, k, v]);
    const want: number[] = [];
    for (let h = 0; h < NH; h++) {
      const kv = Math.floor(h / (NH / NKV));
      for (let i = 0; i < T; i++) {
        const s = Array.from({ length: i + 1 }, (_, j) => {
          let dot = 0;
          for (let d = 0; d < HS; d++) dot += q[(h * T + i) * HS + d]! * k[(kv * T + j) * HS + d]!;
          return dot / Math.sqrt(HS);
        });
        const m = Math.max(...s);
        const e = s.map((z) => Math.exp(z - m));
        const z = e.reduce((p, c) => p + c, 0);
        for (let d = 0; d < HS; d++) want.push(e.reduce((acc, w, j) => acc + (w / z) * v[(kv * T + j) * HS + d]!, 0));
      }
    }
    report('attention vs repeat_kv reference', maxAbs(got, want), 1e-12);
  });
});
