import type { Graph } from '../graph/graph.js';
import * as g from '../graph/ops.js';
import type { DType } from '../graph/shape.js';
import type { Tensor } from '../graph/tensor.js';

/** cos and sin tables [T, HS] for rotary embedding, in the Hugging Face layout. */
export interface RopeTables {
  cos: Tensor; // [T, HS]
  sin: Tensor; // [T, HS], first half negated (see applyRope)
}

/**
 * Builds the rotary tables as model constants for positions 0..T-1 (Hugging Face Llama convention):
 * inv_freq[i] = theta^(-2i/HS) for i < HS/2, angle[t, i] = t·inv_freq[i], and the tables repeat the
 * HS/2 angles twice: cos = [cos(angle), cos(angle)], sin = [sin(angle), sin(angle)].
 */
export function ropeTables(graph: Graph, T: number, HS: number, theta: number, dtype: DType = 'float32'): RopeTables {
  if (HS % 2 !== 0) throw new Error(`rope: head size must be even, got ${HS}`);
  const half = HS / 2;
  const cos = new Array<number>(T * HS);
  const sin = new Array<number>(T * HS);
  for (let t = 0; t < T; t++)
    for (let i = 0; i < half; i++) {
      const a = t * Math.pow(theta, (-2 * i) / HS);
      cos[t * HS + i] = cos[t * HS + half + i] = Math.cos(a);
      // Signed so that rotate_half needs no negation: rotate_half(x)·sin = [x2, x1]·[-sin, sin].
      sin[t * HS + i] = -Math.sin(a);
      sin[t * HS + half + i] = Math.sin(a);
    }
  return { cos: graph.constant(cos, [T, HS], dtype), sin: graph.constant(sin, [T, HS], dtype) };
}

/**
 * Rotary position embedding, Hugging Face `rotate_half` convention (LlamaForCausalLM):
 *   out = x·cos + rotate_half(x)·sin,  rotate_half([x1, x2]) = [−x2, x1]  (halves of the head dim).
 * x is [B, NH, T, HS]; the tables broadcast over B and NH.
 */
export function applyRope(x: Tensor, { cos, sin }: RopeTables): Tensor {
  const HS = x.shape[x.rank - 1] as number;
  const [x1, x2] = g.split(x, -1, [HS / 2, HS / 2]); // [B, NH, T, HS/2] each
  const swapped = g.concat([x2!, x1!], -1); // [B, NH, T, HS]
  return g.add(g.mul(x, cos), g.mul(swapped, sin)); // [B, NH, T, HS]
}
