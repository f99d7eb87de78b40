import * as g from '../graph/ops.js';
import type { Tensor } from '../graph/tensor.js';

/** RMSNorm over the last axis, as the fused ONNX op (RMSNormalization, opset 23) with an explicit VJP. */
export const rmsNorm = (x: Tensor, scale: Tensor, eps = 1e-5): Tensor => g.rmsNorm(x, scale, eps);

/** The same RMSNorm from primitives: the reference the fused op is tested against. */
export function rmsNormReference(x: Tensor, scale: Tensor, eps = 1e-5): Tensor {
  const r = g.rsqrt(g.add(g.reduceMean(g.mul(x, x), -1, true), eps)); // [..., 1]
  return g.mul(g.mul(x, r), scale); // [..., C]
}
