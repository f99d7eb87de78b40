import { grad } from '../graph/autodiff.js';
import { Graph, toTyped } from '../graph/graph.js';
import * as g from '../graph/ops.js';
import { type DType, isFloat } from '../graph/shape.js';
import type { Tensor, TensorData } from '../graph/tensor.js';
import { Session } from './session.js';

export interface CheckInput {
  shape: number[];
  /** Default: the check's float dtype. */
  dtype?: DType;
  /** Fixed values (required for int and bool inputs). */
  values?: readonly number[];
  /** How random float values are drawn: normal (default), or positive in [0.5, 1.5]. */
  init?: 'normal' | 'positive';
}

export interface CheckResult {
  maxdiff: number;
  /** Autodiff and finite-difference gradients, per float input. */
  autodiff: Float64Array[];
  numeric: Float64Array[];
}

/**
 * Compares reverse-mode gradients, run through ONNX Runtime, with central finite differences of
 * loss = Σ out ⊙ R (R random and fixed, so every output element is weighted differently).
 * maxdiff is max |ad − fd| / max(1, |fd|) over all elements of all float inputs.
 */
export async function checkGradients(
  inputs: CheckInput[],
  build: (...xs: Tensor[]) => Tensor | Tensor[],
  opts: { dtype?: 'float32' | 'float64'; h?: number; seed?: number } = {},
): Promise<CheckResult> {
  const dtype = opts.dtype ?? 'float64';
  const h = opts.h ?? (dtype === 'float64' ? 1e-6 : 1e-2);
  const rand = rng(opts.seed ?? 1234);
  const graph = new Graph('gradcheck');
  const xs = inputs.map((s, i) => graph.input(`x${i}`, s.shape, s.dtype ?? dtype));
  const outs = [build(...xs)].flat();
  let loss: Tensor | null = null;
  for (const out of outs) {
    const n = out.shape.reduce<number>((p, d) => p * (d as number), 1);
    const r = graph.constant(Array.from({ length: n }, () => rand.normal()), out.shape as number[], out.dtype);
    const term = g.reduceSum(g.mul(out, r));
    loss = loss ? g.add(loss, term) : term;
  }
  const floats = xs.filter((x) => isFloat(x.dtype));
  const grads = grad(loss!, floats);
  graph.output('loss', loss!);
  grads.forEach((d, i) => graph.output(`d${i}`, d));

  const session = await Session.create(graph, { threads: 1 });
  const feeds: Record<string, TensorData> = {};
  inputs.forEach((s, i) => {
    const x = xs[i]!;
    const n = s.shape.reduce((p, d) => p * d, 1);
    const values = s.values ?? Array.from({ length: n }, () => (s.init === 'positive' ? 0.5 + rand.uniform() : rand.normal()));
    feeds[`x${i}`] = toTyped(values, x.dtype);
  });
  const lossAt = async (): Promise<number> => Number((await session.run(feeds)).loss!.data[0]);

  const result = await session.run(feeds);
  const autodiff = grads.map((_, i) => Float64Array.from(result[`d${i}`]!.data as Float64Array));
  const numeric: Float64Array[] = [];
  let maxdiff = 0;
  for (const [k, x] of floats.entries()) {
    const data = feeds[`x${xs.indexOf(x)}`] as Float64Array | Float32Array;
    const fd = new Float64Array(data.length);
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      data[i] = v + h;
      const lp = await lossAt();
      data[i] = v - h;
      const lm = await lossAt();
      data[i] = v;
      fd[i] = (lp - lm) / (2 * h);
      maxdiff = Math.max(maxdiff, Math.abs(autodiff[k]![i]! - fd[i]!) / Math.max(1, Math.abs(fd[i]!)));
    }
    numeric.push(fd);
  }
  return { maxdiff, autodiff, numeric };
}

/** A small seeded generator (mulberry32) with a Box–Muller normal. */
export function rng(seed: number): { uniform(): number; normal(): number } {
  let s = seed >>> 0;
  const uniform = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { uniform, normal: () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform()) };
}
