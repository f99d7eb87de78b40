import * as g from '../graph/ops.js';
import type { Tensor } from '../graph/tensor.js';

/** SwiGLU feed-forward: (silu(x @ wGate) ⊙ (x @ wUp)) @ wDown. x [B, T, C]; wGate, wUp [C, F]; wDown [F, C]. */
export function swiglu(x: Tensor, wGate: Tensor, wUp: Tensor, wDown: Tensor): Tensor {
  const gate = g.matmul(x, wGate); // [B, T, F]
  const up = g.matmul(x, wUp); // [B, T, F]
  return g.matmul(g.mul(g.silu(gate), up), wDown); // [B, T, C]
}
