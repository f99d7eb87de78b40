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
 */
export function adamwUpdate(
  s: AdamWState,
  grad: Tensor,
  hyper: { lr: Tensor; step: Tensor; gradScale?: Tensor },
  opts: AdamWOptions,
  decay: Tensor | number = 1,
): AdamWState {
  const { beta1: b1, beta2: b2, eps, weightDecay: wd } = opts;
  // Scalars are combined first, so each [N]-sized op below is one pass over memory.
  const c = hyper.gradScale;
  const m = g.add(g.mul(s.m, b1), g.mul(grad, c ? g.mul(c, 1 - b1) : 1 - b1)); // first moment
  const v = g.add(g.mul(s.v, b2), g.mul(g.mul(grad, grad), c ? g.mul(g.mul(c, c), 1 - b2) : 1 - b2)); // second moment
  // Bias corrections 1 − βᵗ as scalars: βᵗ = exp(t·ln β).
  const bc1 = g.sub(1, g.exp(g.mul(hyper.step, Math.log(b1))));
  const bc2 = g.sub(1, g.exp(g.mul(hyper.step, Math.log(b2))));
  const denom = g.add(g.sqrt(g.div(v, bc2)), eps);
  const update = g.div(g.mul(m, g.div(hyper.lr, bc1)), denom);
  const lrWd = g.mul(hyper.lr, wd); // scalar
  const decayed = wd === 0 || decay === 0 ? s.param : g.sub(s.param, g.mul(s.param, typeof decay === 'number' ? lrWd : g.mul(decay, lrWd)));
  return { param: g.sub(decayed, update), m, v };
}
