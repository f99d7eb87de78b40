/**
 * AdamW (decoupled weight decay, bias-corrected moments) and global-norm gradient clipping, as graph
 * code: the update is part of the step graph, with the learning rate and the step number fed at run time.
 */
import * as g from '../graph/ops.js';
import type { Tensor } from '../graph/tensor.js';

export interface AdamWOptions {
  beta1: number;
  beta2: number;
  eps: number;
  /** Decoupled weight decay λ: p ← p − lr·λ·p, applied where the decay mask is 1. */
  weightDecay: number;
  /** Clip gradients to this global L2 norm; null disables clipping. */
  maxGradNorm: number | null;
}

export const ADAMW_DEFAULTS: AdamWOptions = { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, maxGradNorm: 1.0 };

/** sqrt(Σ‖g‖²) over all gradients: a scalar. */
export function globalNorm(grads: readonly Tensor[]): Tensor {
  const squares = grads.map((d) => g.reduceSum(g.mul(d, d)));
  return g.sqrt(squares.reduce((a, b) => g.add(a, b)));
}

/** The factor that brings the global norm down to maxNorm (1 when already below), and the norm itself. */
export function clipScale(grads: readonly Tensor[], maxNorm: number): { scale: Tensor; norm: Tensor } {
  const norm = globalNorm(grads);
  return { scale: g.where(g.greater(norm, maxNorm), g.div(maxNorm, g.add(norm, 1e-6)), 1), norm };
}

export interface AdamWState {
  param: Tensor;
  m: Tensor;
  v: Tensor;
}

/**
 * One AdamW update of a parameter (any shape, e.g. all parameters as one flat vector).
 * `step` is the 1-based step number; `decay` is 1/0 or a mask broadcastable to the parameter;
 * `gradScale` (e.g. the clipping factor) multiplies the gradient first.
 *
 * NOTE: every parameter-sized op below has the gradient among its inputs (m' = m + (g − m)(1 − β₁), not
 * β₁m + (1 − β₁)g). An op that reads only m, v or the parameter is ready before the forward pass even
 * starts, and ONNX Runtime may run it then and hold its result through the whole forward and backward:
 * in a whole step that was ~3 parameter-sized buffers per parameter of extra peak memory.
 */
export function adamwUpdate(
  s: AdamWState,
  grad: Tensor,
  hyper: { lr: Tensor; step: Tensor; gradScale?: Tensor },
  opts: AdamWOptions,
  decay: Tensor | number = 1,
): AdamWState {
  const { beta1: b1, beta2: b2, eps, weightDecay: wd } = opts;
  // Scalars are combined first, so each parameter-sized op below is one pass over memory.
  const c = hyper.gradScale;
  const gs = c ? g.mul(grad, c) : grad; // clipped gradient
  const m = g.add(s.m, g.mul(g.sub(gs, s.m), 1 - b1)); // first moment: β₁m + (1−β₁)g
  const v = g.add(s.v, g.mul(g.sub(g.mul(gs, gs), s.v), 1 - b2)); // second moment: β₂v + (1−β₂)g²
  // Bias corrections 1 − βᵗ as scalars: βᵗ = exp(t·ln β).
  const bc1 = g.sub(1, g.exp(g.mul(hyper.step, Math.log(b1))));
  const bc2 = g.sub(1, g.exp(g.mul(hyper.step, Math.log(b2))));
  const u = g.div(m, g.add(g.sqrt(g.div(v, bc2)), eps)); // m / (sqrt(v̂) + ε), without 1/bc1
  if (wd === 0 || decay === 0) return { param: g.sub(s.param, g.mul(u, g.div(hyper.lr, bc1))), m, v };
  // p − lr·(u/bc1 + λ·decay·p), as (u/(bc1·λ) + decay·p)·(lr·λ) so that the p term waits for u.
  const decayed = typeof decay === 'number' ? s.param : g.mul(s.param, decay);
  const step = g.mul(g.add(g.mul(u, g.div(1 / wd, bc1)), decay === 1 || typeof decay !== 'number' ? decayed : g.mul(decayed, decay)), g.mul(hyper.lr, wd));
  return { param: g.sub(s.param, step), m, v };
}
