import type { Graph } from '../graph/graph.js';
import * as g from '../graph/ops.js';
import { ShapeError, fmtShape } from '../graph/shape.js';
import type { Tensor } from '../graph/tensor.js';

/**
 * Causal scaled dot-product attention with grouped-query heads.
 * q [B, NH, T, HS]; k, v [B, NKV, T, HS] with NH a multiple of NKV. Query head h reads KV head
 * floor(h / (NH/NKV)), as Hugging Face's repeat_kv does. Instead of repeating K and V, the G = NH/NKV
 * query heads of a group are stacked along time, so each group is one GEMM against its own K and V.
 * The core is the op table's `attention` row, whose gradient is written out (see op-table.ts).
 * Returns [B, NH, T, HS].
 */
export function causalAttention(q: Tensor, k: Tensor, v: Tensor): Tensor {
  const [B, NH, T, HS] = q.shape;
  const NKV = k.shape[1] as number;
  if (q.rank !== 4 || k.rank !== 4 || v.rank !== 4 || (NH as number) % NKV !== 0 || k.shape[2] !== T || k.shape[3] !== HS || v.shape.some((d, i) => d !== k.shape[i]))
    throw new ShapeError(`attention: expected q [B,NH,T,HS], k and v [B,NKV,T,HS] with NKV | NH, got ${fmtShape(q.shape)}, ${fmtShape(k.shape)}, ${fmtShape(v.shape)}`);
  const G = (NH as number) / NKV;
  const Tn = T as number;
  const qg = g.reshape(g.mul(q, 1 / Math.sqrt(HS as number)), [B!, NKV, G * Tn, HS!]); // [B, NKV, G*T, HS], pre-scaled
  const { out } = g.attention(qg, k, v, causalMask(q, Tn), G); // [B, NKV, G*T, HS]
  return g.reshape(out, [B!, NH!, Tn, HS!]); // [B, NH, T, HS]
}

/** The same attention from primitives (MatMul, Add, Softmax, MatMul) with autodiff gradients: the reference. */
export function causalAttentionReference(q: Tensor, k: Tensor, v: Tensor): Tensor {
  const [B, NH, T, HS] = q.shape;
  const NKV = k.shape[1] as number;
  const G = (NH as number) / NKV;
  const Tn = T as number;
  const qg = g.reshape(g.mul(q, 1 / Math.sqrt(HS as number)), [B!, NKV, G * Tn, HS!]); // [B, NKV, G*T, HS], pre-scaled
  const scores = g.reshape(g.matmul(qg, g.transpose(k)), [B!, NKV, G, Tn, Tn]); // [B, NKV, G, T, T]
  const masked = g.add(scores, causalMask(q, Tn)); // [B, NKV, G, T, T]
  const probs = g.reshape(g.softmax(masked, -1), [B!, NKV, G * Tn, Tn]); // [B, NKV, G*T, T]
  return g.reshape(g.matmul(probs, v), [B!, NH!, Tn, HS!]); // [B, NH, T, HS]
}

const masks = new WeakMap<Graph, Map<string, Tensor>>();

/** [T, T] additive mask: 0 on and below the diagonal, a large negative number above it; one per graph. */
function causalMask(like: Tensor, T: number): Tensor {
  const cache = masks.get(like.graph) ?? masks.set(like.graph, new Map()).get(like.graph)!;
  const key = `${T}:${like.dtype}`;
  let mask = cache.get(key);
  if (!mask) {
    const m = new Array<number>(T * T);
    for (let i = 0; i < T; i++) for (let j = 0; j < T; j++) m[i * T + j] = j <= i ? 0 : -1e9;
    cache.set(key, (mask = like.graph.constant(m, [T, T], like.dtype)));
  }
  return mask;
}
