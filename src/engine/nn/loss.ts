import * as g from '../graph/ops.js';
import type { Tensor } from '../graph/tensor.js';

/**
 * Mean cross-entropy of logits [N, V] against int targets [N], over targets ≠ ignoreIndex (−100 as in
 * PyTorch and Hugging Face). Fused: ONNX SoftmaxCrossEntropyLoss, gradient written in the op table.
 */
export const crossEntropy = (logits: Tensor, targets: Tensor, ignoreIndex = -100): Tensor =>
  g.softmaxCrossEntropy(logits, targets, ignoreIndex).loss;

/** The same loss from primitives: the reference the fused op is tested against. */
export function crossEntropyReference(logits: Tensor, targets: Tensor, ignoreIndex = -100): Tensor {
  const V = logits.shape[1] as number;
  const logp = g.logSoftmax(logits, -1); // [N, V]
  const t = g.reshape(targets, [-1, 1]); // [N, 1]
  const iota = logits.graph.constant(Array.from({ length: V }, (_, i) => i), [V], targets.dtype); // [V]
  const picked = g.reduceSum(g.where(g.equal(t, iota), logp, 0), -1, true); // [N, 1]
  const keep = g.where(g.equal(t, ignoreIndex), 0, g.full(logits.graph, [1, 1], 1, logits.dtype)); // [N, 1]
  return g.div(g.neg(g.reduceSum(g.mul(picked, keep))), g.reduceSum(keep));
}
