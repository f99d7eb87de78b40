/**
 * The op table: one row per primitive, each with shape inference (`infer`), ONNX emission (`emit`,
 * opset 23) and its vector-Jacobian product (`vjp`) written with other ops. Backward mirrors forward:
 * `vjp` receives the gradients of the node's outputs and returns one gradient (or null) per input.
 * Everything else in the engine (RMSNorm composites, attention, AdamW) is built from these rows.
 * The rows live in op-rows-*.ts by kind; op-helpers.ts holds what they share.
 */
import type { Emitter } from './emitter.js';
import type { Rows } from './op-helpers.js';
import { ELEMENTWISE_OPS } from './op-rows-elementwise.js';
import { FUSED_OPS } from './op-rows-fused.js';
import { INDEXING_OPS } from './op-rows-indexing.js';
import { LAYOUT_OPS } from './op-rows-layout.js';
import type { DType, Dim } from './shape.js';
import type { Node, Tensor, TensorType } from './tensor.js';

export { onnxDType } from './op-helpers.js';

type None = Record<never, never>;
export type Reduce = { axes: number[]; keepdims: boolean };
/** A frozen block-quantized weight W [K, N] in MatMulNBits' packing (see quantize/). */
export type NBits = { K: number; N: number; bits: 4 | 8; blockSize: number };

/** The attributes of each op; the keys are the op names. */
export interface OpAttrs {
  add: None; sub: None; mul: None; div: None;
  equal: None; less: None; greater: None;
  neg: None; exp: None; log: None; tanh: None; sigmoid: None; relu: None; sqrt: None; reciprocal: None;
  pow: { exponent: number };
  where: None;
  cast: { to: DType };
  matmul: None;
  thinMatmul: { transB: boolean };
  transpose: { perm: number[] };
  reshape: { shape: Dim[] };
  expand: { shape: Dim[] };
  reduceSum: Reduce; reduceMean: Reduce; reduceMax: Reduce;
  argMax: { axis: number };
  softmax: { axis: number }; logSoftmax: { axis: number };
  gather: None; scatterAdd: None;
  gatherElements: { axis: number }; scatterElementsAdd: { axis: number };
  slice: { axis: number; start: number; end: number };
  pad: { axis: number; before: number; after: number };
  concat: { axis: number };
  split: { axis: number; sizes: number[] };
  splitLike: { axis: number; likeAxes: number[] };
  fill: { shape: Dim[]; value: number; dtype: DType };
  arange: { axis: number; reverse: boolean };
  rotaryEmbedding: None;
  rmsNorm: { eps: number };
  attention: { groups: number };
  softmaxCrossEntropy: { ignoreIndex: number };
  matMulNBits: NBits & { accuracyLevel: number };
  dequantizeNBits: NBits;
}
export type OpName = keyof OpAttrs;

export interface OpRow<A> {
  infer(inputs: readonly Tensor[], attrs: A): TensorType[];
  emit(e: Emitter, node: Node<A>): void;
  vjp(node: Node<A>, gy: readonly (Tensor | null)[]): (Tensor | null)[];
}

export const OPS: Rows<OpName> = { ...ELEMENTWISE_OPS, ...LAYOUT_OPS, ...INDEXING_OPS, ...FUSED_OPS };
