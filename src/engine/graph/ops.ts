/**
 * The public op functions. Each one applies a row of the op table (op-table.ts); numbers are lifted to
 * scalar constants of the other operand's dtype, so `mul(x, 0.5)` works for float32 and float64 graphs.
 */
import type { Graph } from './graph.js';
import type { OpAttrs, OpName } from './op-table.js';
import { type DType, type Shape, ShapeError, isStatic, lastTwoSwapped, normAxis } from './shape.js';
import { Tensor } from './tensor.js';

export type Operand = Tensor | number;

const apply1 = <K extends OpName>(op: K, inputs: Tensor[], attrs: OpAttrs[K]): Tensor =>
  inputs[0]!.graph.apply(op, inputs, attrs)[0]!;

function binary(op: 'add' | 'sub' | 'mul' | 'div' | 'equal' | 'less' | 'greater', a: Operand, b: Operand): Tensor {
  const t = a instanceof Tensor ? a : b instanceof Tensor ? b : null;
  if (!t) throw new ShapeError(`${op}: at least one operand must be a tensor`);
  const lift = (v: Operand): Tensor => (v instanceof Tensor ? v : t.graph.scalar(v, t.dtype));
  return apply1(op, [lift(a), lift(b)], {});
}

// ── elementwise ─────────────────────────────────────────────────────────────────────────────────
export const add = (a: Operand, b: Operand): Tensor => binary('add', a, b);
export const sub = (a: Operand, b: Operand): Tensor => binary('sub', a, b);
export const mul = (a: Operand, b: Operand): Tensor => binary('mul', a, b);
export const div = (a: Operand, b: Operand): Tensor => binary('div', a, b);
export const equal = (a: Operand, b: Operand): Tensor => binary('equal', a, b);
export const less = (a: Operand, b: Operand): Tensor => binary('less', a, b);
export const greater = (a: Operand, b: Operand): Tensor => binary('greater', a, b);
export const neg = (x: Tensor): Tensor => apply1('neg', [x], {});
export const exp = (x: Tensor): Tensor => apply1('exp', [x], {});
export const log = (x: Tensor): Tensor => apply1('log', [x], {});
export const tanh = (x: Tensor): Tensor => apply1('tanh', [x], {});
export const sigmoid = (x: Tensor): Tensor => apply1('sigmoid', [x], {});
export const relu = (x: Tensor): Tensor => apply1('relu', [x], {});
export const sqrt = (x: Tensor): Tensor => apply1('sqrt', [x], {});
export const reciprocal = (x: Tensor): Tensor => apply1('reciprocal', [x], {});
/** x ** exponent for a fixed exponent. */
export const pow = (x: Tensor, exponent: number): Tensor => apply1('pow', [x, x.graph.scalar(exponent, x.dtype)], { exponent });
export const square = (x: Tensor): Tensor => mul(x, x);
export const rsqrt = (x: Tensor): Tensor => reciprocal(sqrt(x));
/** silu(x) = x·σ(x). */
export const silu = (x: Tensor): Tensor => mul(x, sigmoid(x));
/** cond ? a : b, broadcasting all three. */
export function where(cond: Tensor, a: Operand, b: Operand): Tensor {
  const t = a instanceof Tensor ? a : b instanceof Tensor ? b : null;
  if (!t) throw new ShapeError('where: at least one branch must be a tensor');
  const lift = (v: Operand): Tensor => (v instanceof Tensor ? v : t.graph.scalar(v, t.dtype));
  return apply1('where', [cond, lift(a), lift(b)], {});
}
export const cast = (x: Tensor, to: DType): Tensor => (x.dtype === to ? x : apply1('cast', [x], { to }));

// ── linear algebra and layout ───────────────────────────────────────────────────────────────────
/** Batched matrix product [..., M, K] @ [..., K, N] → [..., M, N]; batch dims broadcast. */
export const matmul = (a: Tensor, b: Tensor): Tensor => apply1('matmul', [a, b], {});
/**
 * a @ b, or a @ bᵀ with `transB`, where b's second-to-last dim is a run-time size that is often 1 (the new
 * tokens of a decode step). With one row of b, the product runs elementwise (a dot or an outer product per
 * batch entry) instead of as one tiny GEMM per batch entry; an If node picks the way at run time.
 * `single` (a one-element bool, true exactly when b has one row) lets many products share one test of b's shape.
 */
export const thinMatmul = (a: Tensor, b: Tensor, opts: { transB?: boolean; single?: Tensor } = {}): Tensor =>
  apply1('thinMatmul', opts.single ? [a, b, opts.single] : [a, b], { transB: opts.transB ?? false });
/** Permutes dims; by default swaps the last two. */
export function transpose(x: Tensor, perm?: number[]): Tensor {
  return apply1('transpose', [x], { perm: perm ?? lastTwoSwapped(x.rank) });
}
/** Reshape; one dim may be -1. With `like`, the target is like's run-time shape (for named dims). */
export function reshape(x: Tensor, shape: Shape, like?: Tensor): Tensor {
  if (!like && x.shape.length === shape.length && x.shape.every((d, i) => d === shape[i])) return x;
  return apply1('reshape', like ? [x, like] : [x], { shape: [...shape] });
}
/** Broadcasts x to a shape. With `like`, the target is like's run-time shape (for named dims). */
export function expand(x: Tensor, shape: Shape, like?: Tensor): Tensor {
  if (x.shape.length === shape.length && x.shape.every((d, i) => d === shape[i])) return x;
  return apply1('expand', like ? [x, like] : [x], { shape: [...shape] });
}

// ── reductions ──────────────────────────────────────────────────────────────────────────────────
type Reduce = 'reduceSum' | 'reduceMean' | 'reduceMax';
function reduce(op: Reduce, x: Tensor, axes: number | number[] | undefined, keepdims: boolean): Tensor {
  const list = axes === undefined ? [...x.shape.keys()] : typeof axes === 'number' ? [axes] : axes;
  const norm = [...new Set(list.map((a) => normAxis(a, x.rank, op)))].sort((p, q) => p - q);
  return apply1(op, [x], { axes: norm, keepdims });
}
/** Sum over axes (all when omitted). */
export const reduceSum = (x: Tensor, axes?: number | number[], keepdims = false): Tensor => reduce('reduceSum', x, axes, keepdims);
export const reduceMean = (x: Tensor, axes?: number | number[], keepdims = false): Tensor => reduce('reduceMean', x, axes, keepdims);
export const reduceMax = (x: Tensor, axes?: number | number[], keepdims = false): Tensor => reduce('reduceMax', x, axes, keepdims);
/** The index of the largest value along `axis` (the first at ties), int64, the axis dropped; no gradient. */
export const argMax = (x: Tensor, axis = -1): Tensor => apply1('argMax', [x], { axis: normAxis(axis, x.rank, 'argMax') });
export const softmax = (x: Tensor, axis = -1): Tensor => apply1('softmax', [x], { axis: normAxis(axis, x.rank, 'softmax') });
export const logSoftmax = (x: Tensor, axis = -1): Tensor => apply1('logSoftmax', [x], { axis: normAxis(axis, x.rank, 'logSoftmax') });

/** Sums a broadcast gradient back to the shape of `ref` (the operand it was broadcast from). */
export function sumTo(g: Tensor, ref: Tensor): Tensor {
  const lead = g.rank - ref.rank;
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) if (i < lead || (ref.shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  const s = axes.length ? reduceSum(g, axes, true) : g;
  return isStatic(ref.shape) ? reshape(s, ref.shape) : reshape(s, ref.shape, ref);
}

// ── indexing ────────────────────────────────────────────────────────────────────────────────────
/** Rows of `data` picked by integer `indices`: [V, ...R] by [...I] → [...I, ...R] (an embedding lookup). */
export const gather = (data: Tensor, indices: Tensor): Tensor => apply1('gather', [data, indices], {});
/** data with `updates` added at rows `indices` (duplicates accumulate): the transpose of gather. */
export const scatterAdd = (data: Tensor, indices: Tensor, updates: Tensor): Tensor =>
  apply1('scatterAdd', [data, indices, updates], {});
/** Elements of data picked along `axis` by int indices of data's rank (numpy take_along_axis). */
export const gatherElements = (data: Tensor, indices: Tensor, axis: number): Tensor =>
  apply1('gatherElements', [data, indices], { axis: normAxis(axis, data.rank, 'gatherElements') });
/** data with updates added at `indices` along `axis` (duplicates accumulate): the transpose of gatherElements. */
export const scatterElementsAdd = (data: Tensor, indices: Tensor, updates: Tensor, axis: number): Tensor =>
  apply1('scatterElementsAdd', [data, indices, updates], { axis: normAxis(axis, data.rank, 'scatterElementsAdd') });
/** x[..., start:end, ...] along one axis. */
export function slice(x: Tensor, axis: number, start: number, end: number): Tensor {
  return apply1('slice', [x], { axis: normAxis(axis, x.rank, 'slice'), start, end });
}
/** Zero padding along one axis. */
export function pad(x: Tensor, axis: number, before: number, after: number): Tensor {
  return apply1('pad', [x], { axis: normAxis(axis, x.rank, 'pad'), before, after });
}
export function concat(xs: Tensor[], axis: number): Tensor {
  if (xs.length === 0) throw new ShapeError('concat: no operands');
  return apply1('concat', xs, { axis: normAxis(axis, xs[0]!.rank, 'concat') });
}
export function split(x: Tensor, axis: number, sizes: number[]): Tensor[] {
  return x.graph.apply('split', [x], { axis: normAxis(axis, x.rank, 'split'), sizes });
}
/**
 * Splits x along `axis` into parts as long as each [like, likeAxis] pair's dim, read at run time: the
 * inverse of a concat along named dims. @example const [a, b] = splitLike(concat([a0, b0], -1), -1, [[a0, 3], [b0, 3]]);
 */
export function splitLike(x: Tensor, axis: number, parts: [Tensor, number][]): Tensor[] {
  const likeAxes = parts.map(([t, a]) => normAxis(a, t.rank, 'splitLike'));
  return x.graph.apply('splitLike', [x, ...parts.map(([t]) => t)], { axis: normAxis(axis, x.rank, 'splitLike'), likeAxes });
}

// ── creation ────────────────────────────────────────────────────────────────────────────────────
/** A tensor filled with one value, made at run time (no initializer bytes in the model). */
export const full = (graph: Graph, shape: readonly number[], value: number, dtype: DType = 'float32'): Tensor =>
  graph.apply('fill', [], { shape: [...shape], value, dtype })[0]!;
/** Zeros of x's shape and dtype; works for named dims. */
export const zerosLike = (x: Tensor): Tensor =>
  isStatic(x.shape) ? full(x.graph, x.shape, 0, x.dtype) : apply1('fill', [x], { shape: [...x.shape], value: 0, dtype: x.dtype });

/** int64 [n] = 0..n−1 for n = like.shape[axis] at run time (n−1..0 with `reverse`); for masks over named dims. */
export const arange = (like: Tensor, axis: number, reverse = false): Tensor =>
  apply1('arange', [like], { axis: normAxis(axis, like.rank, 'arange'), reverse });

// ── fused standard ops (explicit gradients) ─────────────────────────────────────────────────────
/**
 * Rotary embedding (ONNX RotaryEmbedding, rotate_half convention) of x [B, H, S, HS] at `positions` [B, S],
 * which pick rows of the cos and sin caches [M, HS/2] (cos(t·θ_i), sin(t·θ_i)). float32 only.
 */
export const rotaryEmbedding = (x: Tensor, cos: Tensor, sin: Tensor, positions: Tensor): Tensor =>
  apply1('rotaryEmbedding', [x, cos, sin, positions], {});
/** RMSNorm over the last axis: x / sqrt(mean(x²) + eps) · scale (ONNX RMSNormalization, opset 23). */
export const rmsNorm = (x: Tensor, scale: Tensor, eps: number): Tensor => apply1('rmsNorm', [x, scale], { eps });
/**
 * Softmax attention core: p = softmax(q·kᵀ + mask), o = p·v, where q stacks the `groups` query heads
 * of each KV head along time: q [B,H,G*T,HS] (already scaled), k, v [B,H,T,HS], mask [T,T] additive.
 * Returns o [B,H,G*T,HS] and p [B,H,G*T,T]. See nn/attention.ts for the usual entry point.
 */
export function attention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor, groups: number): { out: Tensor; probs: Tensor } {
  const [out, probs] = q.graph.apply('attention', [q, k, v, mask], { groups });
  return { out: out!, probs: probs! };
}
/**
 * Mean cross-entropy of logits [N, V] against int targets [N], skipping targets equal to ignoreIndex
 * (ONNX SoftmaxCrossEntropyLoss). Returns the scalar loss and the log-probabilities [N, V].
 */
/**
 * x @ W for a frozen block-quantized W [K, N] (codes and scales as quantize/ packs them), run by
 * ONNX Runtime's com.microsoft MatMulNBits. float32 only; gradients flow to x alone.
 */
export const matMulNBits = (x: Tensor, codes: Tensor, scales: Tensor, attrs: OpAttrs['matMulNBits']): Tensor =>
  apply1('matMulNBits', [x, codes, scales], attrs);
/** Wᵀ [N, K] in the scales' dtype from a block-quantized W [K, N]. */
export const dequantizeNBits = (codes: Tensor, scales: Tensor, attrs: OpAttrs['dequantizeNBits']): Tensor =>
  apply1('dequantizeNBits', [codes, scales], attrs);

export function softmaxCrossEntropy(logits: Tensor, targets: Tensor, ignoreIndex = -100): { loss: Tensor; logProb: Tensor } {
  const [loss, logProb] = logits.graph.apply('softmaxCrossEntropy', [logits, targets], { ignoreIndex });
  return { loss: loss!, logProb: logProb! };
}
