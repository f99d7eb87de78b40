/**
 * The op table: one row per primitive, each with shape inference (`infer`), ONNX emission (`emit`,
 * opset 23) and its vector-Jacobian product (`vjp`) written with other ops. Backward mirrors forward:
 * `vjp` receives the gradients of the node's outputs and returns one gradient (or null) per input.
 * Everything else in the engine (RMSNorm composites, attention, AdamW) is built from these rows.
 */
import type { Attr, Emitter } from './emitter.js';
import * as g from './ops.js';
import { type DType, type Dim, type Shape, ShapeError, broadcast, divideDims, fmtShape, isFloat, isStatic, numel } from './shape.js';
import type { Node, Tensor, TensorType } from './tensor.js';

type None = Record<never, never>;
type Reduce = { axes: number[]; keepdims: boolean };
/** A frozen block-quantized weight W [K, N] in MatMulNBits' packing (see quantize/). */
type NBits = { K: number; N: number; bits: 4 | 8; blockSize: number };

/** The attributes of each op; the keys are the op names. */
export interface OpAttrs {
  add: None; sub: None; mul: None; div: None;
  equal: None; less: None; greater: None;
  neg: None; exp: None; log: None; tanh: None; sigmoid: None; relu: None; sqrt: None; reciprocal: None;
  pow: { exponent: number };
  where: None;
  cast: { to: DType };
  matmul: None;
  transpose: { perm: number[] };
  reshape: { shape: Dim[] };
  expand: { shape: Dim[] };
  reduceSum: Reduce; reduceMean: Reduce; reduceMax: Reduce;
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

// ── helpers ─────────────────────────────────────────────────────────────────────────────────────
const fail = (msg: string): never => { throw new ShapeError(msg); };
const DTYPE_CODE: Record<DType, number> = { float32: 1, float64: 11, int32: 6, int64: 7, bool: 9, uint8: 2 };
export const onnxDType = (d: DType): number => DTYPE_CODE[d];

/** Emits `opType` with the node's inputs and outputs in order. */
const direct = <A>(opType: string, attrs?: (a: A) => Record<string, Attr>) => (e: Emitter, n: Node<A>): void => {
  e.node(opType, n.inputs.map((t) => e.name(t)), n.outputs.map((t) => e.name(t)), attrs?.(n.attrs));
};

function sameDType(op: string, xs: readonly Tensor[]): DType {
  const d = xs[0]!.dtype;
  for (const x of xs) if (x.dtype !== d) fail(`${op}: dtype mismatch ${xs.map((t) => t.dtype).join(' vs ')}`);
  return d;
}
function floatOnly(op: string, x: Tensor): DType {
  return isFloat(x.dtype) ? x.dtype : fail(`${op}: expected a float tensor, got ${x.dtype} ${fmtShape(x.shape)}`);
}
function broadcastOrFail(op: string, xs: readonly Tensor[]): Dim[] {
  let s: Dim[] | null = [...xs[0]!.shape];
  for (const x of xs.slice(1)) s = s && broadcast(s, x.shape);
  return s ?? fail(`${op}: cannot broadcast ${xs.map((x) => fmtShape(x.shape)).join(' with ')}`);
}
const elementwise = (op: string, out?: DType) => (xs: readonly Tensor[]): TensorType[] => {
  const dtype = sameDType(op, xs);
  return [{ shape: broadcastOrFail(op, xs), dtype: out ?? dtype }];
};
const unaryFloat = (op: string) => (xs: readonly Tensor[]): TensorType[] => [{ shape: xs[0]!.shape, dtype: floatOnly(op, xs[0]!) }];
const noGrad = (n: Node<unknown>): null[] => n.inputs.map(() => null);
const reducedShape = (s: Shape, { axes, keepdims }: Reduce): Dim[] =>
  keepdims ? s.map((d, i) => (axes.includes(i) ? 1 : d)) : s.filter((_, i) => !axes.includes(i));
/** The gradient of a reduction's output, with the reduced axes kept as 1s. */
const keptGrad = (gy: Tensor, x: Tensor, r: Reduce): Tensor => (r.keepdims ? gy : g.reshape(gy, reducedShape(x.shape, { ...r, keepdims: true })));
const expandTo = (t: Tensor, x: Tensor): Tensor => (isStatic(x.shape) ? g.expand(t, x.shape) : g.expand(t, x.shape, x));
const staticDim = (op: string, x: Tensor, axis: number): number =>
  typeof x.shape[axis] === 'number' ? (x.shape[axis] as number) : fail(`${op}: axis ${axis} of ${fmtShape(x.shape)} must have a fixed size`);

type Table = { [K in OpName]: OpRow<OpAttrs[K]> };

export const OPS: Table = {
  // ── elementwise binary (numpy broadcasting; gradients summed back to each operand's shape) ─────
  add: {
    infer: elementwise('add'),
    emit: direct('Add'),
    vjp: ({ inputs: [a, b] }, [gy]) => [g.sumTo(gy!, a!), g.sumTo(gy!, b!)],
  },
  sub: {
    infer: elementwise('sub'),
    emit: direct('Sub'),
    vjp: ({ inputs: [a, b] }, [gy]) => [g.sumTo(gy!, a!), g.sumTo(g.neg(gy!), b!)],
  },
  mul: {
    infer: elementwise('mul'),
    emit: direct('Mul'),
    vjp: ({ inputs: [a, b] }, [gy]) => [g.sumTo(g.mul(gy!, b!), a!), g.sumTo(g.mul(gy!, a!), b!)],
  },
  div: {
    infer: elementwise('div'),
    emit: direct('Div'),
    // d(a/b)/db = -a/b² = -y/b
    vjp: ({ inputs: [a, b], outputs: [y] }, [gy]) => [g.sumTo(g.div(gy!, b!), a!), g.sumTo(g.neg(g.div(g.mul(gy!, y!), b!)), b!)],
  },
  equal: { infer: elementwise('equal', 'bool'), emit: direct('Equal'), vjp: noGrad },
  less: { infer: elementwise('less', 'bool'), emit: direct('Less'), vjp: noGrad },
  greater: { infer: elementwise('greater', 'bool'), emit: direct('Greater'), vjp: noGrad },

  // ── elementwise unary ───────────────────────────────────────────────────────────────────────
  neg: { infer: unaryFloat('neg'), emit: direct('Neg'), vjp: (_, [gy]) => [g.neg(gy!)] },
  exp: { infer: unaryFloat('exp'), emit: direct('Exp'), vjp: ({ outputs: [y] }, [gy]) => [g.mul(gy!, y!)] },
  log: { infer: unaryFloat('log'), emit: direct('Log'), vjp: ({ inputs: [x] }, [gy]) => [g.div(gy!, x!)] },
  tanh: {
    infer: unaryFloat('tanh'),
    emit: direct('Tanh'),
    vjp: ({ outputs: [y] }, [gy]) => [g.mul(gy!, g.sub(1, g.mul(y!, y!)))],
  },
  sigmoid: {
    infer: unaryFloat('sigmoid'),
    emit: direct('Sigmoid'),
    vjp: ({ outputs: [y] }, [gy]) => [g.mul(gy!, g.mul(y!, g.sub(1, y!)))],
  },
  relu: {
    infer: unaryFloat('relu'),
    emit: direct('Relu'),
    // NOTE: the subgradient at exactly 0 is taken as 0 (as PyTorch does).
    vjp: ({ inputs: [x] }, [gy]) => [g.where(g.greater(x!, 0), gy!, 0)],
  },
  sqrt: {
    infer: unaryFloat('sqrt'),
    emit: direct('Sqrt'),
    vjp: ({ outputs: [y] }, [gy]) => [g.div(g.mul(gy!, 0.5), y!)],
  },
  reciprocal: {
    infer: unaryFloat('reciprocal'),
    emit: direct('Reciprocal'),
    vjp: ({ outputs: [y] }, [gy]) => [g.neg(g.mul(gy!, g.mul(y!, y!)))],
  },
  pow: {
    // inputs: [x, exponent as a scalar constant]; the exponent is fixed, so it gets no gradient.
    infer: (xs) => [{ shape: xs[0]!.shape, dtype: floatOnly('pow', xs[0]!) }],
    emit: direct('Pow'),
    vjp: ({ inputs: [x], attrs: { exponent: p } }, [gy]) => [g.mul(gy!, g.mul(g.pow(x!, p - 1), p)), null],
  },
  where: {
    infer: ([c, a, b]) => {
      if (c!.dtype !== 'bool') fail(`where: condition must be bool, got ${c!.dtype}`);
      return [{ shape: broadcastOrFail('where', [c!, a!, b!]), dtype: sameDType('where', [a!, b!]) }];
    },
    emit: direct('Where'),
    vjp: ({ inputs: [c, a, b] }, [gy]) => [null, g.sumTo(g.where(c!, gy!, 0), a!), g.sumTo(g.where(c!, 0, gy!), b!)],
  },
  cast: {
    infer: ([x], { to }) => [{ shape: x!.shape, dtype: to }],
    emit: direct('Cast', ({ to }) => ({ to: onnxDType(to) })),
    vjp: ({ inputs: [x], attrs: { to } }, [gy]) => [isFloat(x!.dtype) && isFloat(to) ? g.cast(gy!, x!.dtype) : null],
  },

  // ── linear algebra and layout ───────────────────────────────────────────────────────────────
  matmul: {
    infer: ([a, b]) => {
      const dtype = sameDType('matmul', [a!, b!]);
      const bad = a!.rank < 2 || b!.rank < 2 || a!.shape[a!.rank - 1] !== b!.shape[b!.rank - 2];
      const batch = bad ? null : broadcast(a!.shape.slice(0, -2), b!.shape.slice(0, -2));
      if (!batch) fail(`matmul: expected [...,M,K] @ [...,K,N], got ${fmtShape(a!.shape)} @ ${fmtShape(b!.shape)}`);
      return [{ shape: [...batch!, a!.shape[a!.rank - 2]!, b!.shape[b!.rank - 1]!], dtype }];
    },
    emit: direct('MatMul'),
    vjp: ({ inputs: [a, b] }, [gy]) => {
      const da = g.sumTo(g.matmul(gy!, g.transpose(b!)), a!); // [..., M, K]
      if (b!.rank === 2 && a!.rank > 2) {
        // NOTE: a weight shared over the batch: fold batch into rows so dB is one big GEMM
        // [K, B·T] @ [B·T, N] instead of a batched product summed afterwards.
        const K = a!.shape[a!.rank - 1]!;
        const N = b!.shape[1]!;
        const a2 = g.reshape(a!, [-1, K]); // [B*T, K]
        const g2 = g.reshape(gy!, [-1, N]); // [B*T, N]
        return [da, g.matmul(g.transpose(a2), g2)]; // [K, N]
      }
      return [da, g.sumTo(g.matmul(g.transpose(a!), gy!), b!)];
    },
  },
  transpose: {
    infer: ([x], { perm }) => {
      const ok = perm.length === x!.rank && [...perm].sort((p, q) => p - q).every((p, i) => p === i);
      if (!ok) fail(`transpose: perm [${perm}] does not fit ${fmtShape(x!.shape)}`);
      return [{ shape: perm.map((p) => x!.shape[p]!), dtype: x!.dtype }];
    },
    emit: direct('Transpose', ({ perm }) => ({ perm })),
    vjp: ({ attrs: { perm } }, [gy]) => {
      const inv = perm.map((_, i) => perm.indexOf(i));
      return [g.transpose(gy!, inv)];
    },
  },
  reshape: {
    // inputs: [x] or [x, like]; with `like`, the target is like's run-time shape.
    infer: ([x, like], { shape }) => {
      const holes = shape.filter((d) => d === -1).length;
      const known = shape.filter((d) => d !== -1);
      const rest = divideDims(x!.shape, known);
      const out = shape.map((d) => (d === -1 ? rest! : d));
      if (holes > 1 || rest === null || (holes === 0 && rest !== 1) || (like && !sameShape(like.shape, out)))
        fail(`reshape: cannot reshape ${fmtShape(x!.shape)} (${numel(x!.shape)}) to ${fmtShape(shape)}`);
      return [{ shape: out, dtype: x!.dtype }];
    },
    emit: (e, n) => {
      const [x, like] = n.inputs;
      const out = [e.name(n.outputs[0]!)];
      if (like) return void e.node('Reshape', [e.name(x!), e.node('Shape', [e.name(like)], 1)[0]!], out);
      const target = n.attrs.shape;
      if (isStatic(target)) return void e.node('Reshape', [e.name(x!), e.ints(target)], out);
      // Named dims: copy a dim in place (0), or let ONNX infer one (-1) ...
      let hole = target.includes(-1);
      const dims = target.map((d, i) => (typeof d === 'number' ? d : d === x!.shape[i] ? 0 : hole ? null : ((hole = true), -1)));
      if (dims.every((d) => d !== null)) return void e.node('Reshape', [e.name(x!), e.ints(dims as number[])], out);
      // ... or, when only 1s are added or removed, squeeze and unsqueeze.
      const y = n.outputs[0]!;
      const ones = (s: Shape): number[] => s.flatMap((d, i) => (d === 1 ? [i] : []));
      if (!sameShape(x!.shape.filter((d) => d !== 1), y.shape.filter((d) => d !== 1)))
        fail(`reshape: cannot emit ${fmtShape(x!.shape)} → ${fmtShape(target)} with named dims; pass a 'like' tensor`);
      const sq = ones(x!.shape).length ? e.node('Squeeze', [e.name(x!), e.ints(ones(x!.shape))], 1)[0]! : e.name(x!);
      e.node('Unsqueeze', [sq, e.ints(ones(y.shape))], out);
    },
    vjp: ({ inputs: [x, like] }, [gy]) => [isStatic(x!.shape) ? g.reshape(gy!, x!.shape) : g.reshape(gy!, x!.shape, x!), null],
  },
  expand: {
    // inputs: [x] or [x, like]
    infer: ([x, like], { shape }) => {
      const out = broadcast(x!.shape, shape);
      if (!out || !sameShape(out, shape) || (like && !sameShape(like.shape, shape)))
        fail(`expand: cannot broadcast ${fmtShape(x!.shape)} to ${fmtShape(shape)}`);
      return [{ shape, dtype: x!.dtype }];
    },
    emit: (e, n) => {
      const [x, like] = n.inputs;
      const out = [e.name(n.outputs[0]!)];
      if (like) return void e.node('Expand', [e.name(x!), e.node('Shape', [e.name(like)], 1)[0]!], out);
      const lead = n.attrs.shape.length - x!.rank;
      const dims = n.attrs.shape.map((d, i) =>
        typeof d === 'number' ? d : x!.shape[i - lead] === d ? 1 : fail(`expand: cannot emit named dim ${d}; pass a 'like' tensor`));
      e.node('Expand', [e.name(x!), e.ints(dims)], out);
    },
    vjp: ({ inputs: [x, like] }, [gy]) => [g.sumTo(gy!, x!), null],
  },

  // ── reductions ──────────────────────────────────────────────────────────────────────────────
  reduceSum: {
    infer: ([x], r) => [{ shape: reducedShape(x!.shape, r), dtype: x!.dtype }],
    emit: (e, n) => void e.node('ReduceSum', [e.name(n.inputs[0]!), e.ints(n.attrs.axes)], [e.name(n.outputs[0]!)], { keepdims: +n.attrs.keepdims }),
    vjp: ({ inputs: [x], attrs }, [gy]) => [expandTo(keptGrad(gy!, x!, attrs), x!)],
  },
  reduceMean: {
    infer: ([x], r) => [{ shape: reducedShape(x!.shape, r), dtype: floatOnly('reduceMean', x!) }],
    emit: (e, n) => void e.node('ReduceMean', [e.name(n.inputs[0]!), e.ints(n.attrs.axes)], [e.name(n.outputs[0]!)], { keepdims: +n.attrs.keepdims }),
    vjp: ({ inputs: [x], attrs }, [gy]) => {
      const count = numel(attrs.axes.map((a) => x!.shape[a]!));
      if (typeof count !== 'number') fail(`reduceMean: gradient over named axes ${fmtShape(x!.shape)} is not supported`);
      return [expandTo(g.div(keptGrad(gy!, x!, attrs), count as number), x!)];
    },
  },
  reduceMax: {
    infer: ([x], r) => [{ shape: reducedShape(x!.shape, r), dtype: x!.dtype }],
    emit: (e, n) => void e.node('ReduceMax', [e.name(n.inputs[0]!), e.ints(n.attrs.axes)], [e.name(n.outputs[0]!)], { keepdims: +n.attrs.keepdims }),
    vjp: ({ inputs: [x], outputs: [y], attrs }, [gy]) => {
      // NOTE: at ties the gradient is split evenly among the maxima (so it still sums to gy).
      const mask = g.cast(g.equal(x!, keptGrad(y!, x!, attrs)), x!.dtype); // like x
      const count = g.reduceSum(mask, attrs.axes, true);
      return [g.mul(mask, g.div(keptGrad(gy!, x!, attrs), count))];
    },
  },
  softmax: {
    infer: unaryFloat('softmax'),
    emit: direct('Softmax', ({ axis }) => ({ axis })),
    // dx = y ⊙ (gy − Σ gy⊙y)
    vjp: ({ outputs: [y], attrs: { axis } }, [gy]) => [g.mul(y!, g.sub(gy!, g.reduceSum(g.mul(gy!, y!), axis, true)))],
  },
  logSoftmax: {
    infer: unaryFloat('logSoftmax'),
    emit: direct('LogSoftmax', ({ axis }) => ({ axis })),
    // dx = gy − softmax ⊙ Σ gy
    vjp: ({ outputs: [y], attrs: { axis } }, [gy]) => [g.sub(gy!, g.mul(g.exp(y!), g.reduceSum(gy!, axis, true)))],
  },

  // ── indexing ────────────────────────────────────────────────────────────────────────────────
  gather: {
    infer: ([data, idx]) => {
      if (data!.rank < 1 || (idx!.dtype !== 'int64' && idx!.dtype !== 'int32'))
        fail(`gather: expected data [V,...] and int indices, got ${fmtShape(data!.shape)} ${data!.dtype} by ${fmtShape(idx!.shape)} ${idx!.dtype}`);
      return [{ shape: [...idx!.shape, ...data!.shape.slice(1)], dtype: data!.dtype }];
    },
    emit: direct('Gather', () => ({ axis: 0 })),
    // NOTE: rows picked several times accumulate their gradients (ScatterND with reduction=add).
    vjp: ({ inputs: [data, idx] }, [gy]) => [g.scatterAdd(g.zerosLike(data!), idx!, gy!), null],
  },
  scatterAdd: {
    infer: ([data, idx, upd]) => {
      const want = [...idx!.shape, ...data!.shape.slice(1)];
      if (!sameShape(upd!.shape, want) || (idx!.dtype !== 'int64' && idx!.dtype !== 'int32'))
        fail(`scatterAdd: expected updates ${fmtShape(want)} for data ${fmtShape(data!.shape)} and indices ${fmtShape(idx!.shape)}, got ${fmtShape(upd!.shape)}`);
      return [{ shape: data!.shape, dtype: sameDType('scatterAdd', [data!, upd!]) }];
    },
    emit: (e, n) => {
      const [data, idx, upd] = n.inputs;
      const i64 = idx!.dtype === 'int64' ? e.name(idx!) : e.node('Cast', [e.name(idx!)], 1, { to: 7 })[0]!;
      const rows = e.node('Unsqueeze', [i64, e.ints([-1])], 1)[0]!; // [...I, 1]
      e.node('ScatterND', [e.name(data!), rows, e.name(upd!)], [e.name(n.outputs[0]!)], { reduction: 'add' });
    },
    vjp: ({ inputs: [, idx] }, [gy]) => [gy!, null, g.gather(gy!, idx!)],
  },
  gatherElements: {
    // out[i][j] = data[i][idx[i][j]] along `axis` (numpy take_along_axis); idx has data's rank.
    infer: ([data, idx], { axis }) => {
      const ok = idx!.rank === data!.rank && idx!.shape.every((d, i) => i === axis || d === data!.shape[i]) && isIndex(idx!);
      if (!ok) fail(`gatherElements: expected int indices shaped like ${fmtShape(data!.shape)} off axis ${axis}, got ${fmtShape(idx!.shape)} ${idx!.dtype}`);
      return [{ shape: idx!.shape, dtype: data!.dtype }];
    },
    emit: direct('GatherElements', ({ axis }) => ({ axis })),
    vjp: ({ inputs: [data, idx], attrs: { axis } }, [gy]) => [g.scatterElementsAdd(g.zerosLike(data!), idx!, gy!, axis), null],
  },
  scatterElementsAdd: {
    // data with updates[i][j] added at [i][idx[i][j]] along `axis`: the transpose of gatherElements.
    infer: ([data, idx, upd], { axis }) => {
      const ok = idx!.rank === data!.rank && idx!.shape.every((d, i) => i === axis || d === data!.shape[i]) && sameShape(idx!.shape, upd!.shape) && isIndex(idx!);
      if (!ok) fail(`scatterElementsAdd: expected int indices and updates of one shape fitting ${fmtShape(data!.shape)} off axis ${axis}, got ${fmtShape(idx!.shape)} and ${fmtShape(upd!.shape)}`);
      return [{ shape: data!.shape, dtype: sameDType('scatterElementsAdd', [data!, upd!]) }];
    },
    emit: direct('ScatterElements', ({ axis }) => ({ axis, reduction: 'add' })),
    vjp: ({ inputs: [, idx], attrs: { axis } }, [gy]) => [gy!, null, g.gatherElements(gy!, idx!, axis)],
  },
  slice: {
    infer: ([x], { axis, start, end }) => {
      const n = staticDim('slice', x!, axis);
      if (!(0 <= start && start <= end && end <= n)) fail(`slice: [${start}:${end}] out of range for axis ${axis} of ${fmtShape(x!.shape)}`);
      return [{ shape: x!.shape.map((d, i) => (i === axis ? end - start : d)), dtype: x!.dtype }];
    },
    emit: (e, { inputs: [x], outputs: [y], attrs: a }) =>
      void e.node('Slice', [e.name(x!), e.ints([a.start]), e.ints([a.end]), e.ints([a.axis])], [e.name(y!)]),
    vjp: ({ inputs: [x], attrs: a }, [gy]) => [g.pad(gy!, a.axis, a.start, (x!.shape[a.axis] as number) - a.end)],
  },
  pad: {
    infer: ([x], { axis, before, after }) => {
      const n = staticDim('pad', x!, axis);
      if (before < 0 || after < 0) fail(`pad: negative padding ${before},${after}`);
      return [{ shape: x!.shape.map((d, i) => (i === axis ? n + before + after : d)), dtype: x!.dtype }];
    },
    emit: (e, { inputs: [x], outputs: [y], attrs: a }) => {
      const pads = new Array<number>(2 * x!.rank).fill(0);
      pads[a.axis] = a.before;
      pads[x!.rank + a.axis] = a.after;
      e.node('Pad', [e.name(x!), e.ints(pads)], [e.name(y!)]);
    },
    vjp: ({ inputs: [x], attrs: a }, [gy]) => [g.slice(gy!, a.axis, a.before, a.before + (x!.shape[a.axis] as number))],
  },
  concat: {
    infer: (xs, { axis }) => {
      const dtype = sameDType('concat', xs);
      const base = xs[0]!;
      for (const x of xs)
        if (x.rank !== base.rank || x.shape.some((d, i) => i !== axis && d !== base.shape[i]))
          fail(`concat: shapes ${xs.map((t) => fmtShape(t.shape)).join(', ')} differ off axis ${axis}`);
      // A named axis (a KV cache's past length P) gives a named sum such as 'P+S'.
      const named = xs.some((x) => typeof x.shape[axis] !== 'number');
      const total = named ? xs.map((x) => x.shape[axis]).join('+') : xs.reduce((s, x) => s + staticDim('concat', x, axis), 0);
      return [{ shape: base.shape.map((d, i) => (i === axis ? total : d)), dtype }];
    },
    emit: direct('Concat', ({ axis }) => ({ axis })),
    vjp: ({ inputs, attrs: { axis } }, [gy]) => {
      if (inputs.some((x) => typeof x.shape[axis] !== 'number'))
        fail(`concat: no gradient along named axis ${axis} (${inputs.map((x) => fmtShape(x.shape)).join(', ')}); concat along a fixed-size axis to train`);
      let at = 0;
      return inputs.map((x) => g.slice(gy!, axis, at, (at += x.shape[axis] as number)));
    },
  },
  split: {
    infer: ([x], { axis, sizes }) => {
      const n = staticDim('split', x!, axis);
      if (sizes.reduce((s, v) => s + v, 0) !== n) fail(`split: sizes [${sizes}] do not sum to axis ${axis} of ${fmtShape(x!.shape)}`);
      return sizes.map((s) => ({ shape: x!.shape.map((d, i) => (i === axis ? s : d)), dtype: x!.dtype }));
    },
    emit: (e, n) => void e.node('Split', [e.name(n.inputs[0]!), e.ints(n.attrs.sizes)], n.outputs.map((t) => e.name(t)), { axis: n.attrs.axis }),
    // NOTE: outputs that got no gradient contribute zeros.
    vjp: ({ outputs, attrs: { axis } }, gy) => [g.concat(outputs.map((y, i) => gy[i] ?? g.zerosLike(y)), axis)],
  },
  splitLike: {
    // inputs: [x, ...likes]; part i is as long as likes[i] along likeAxes[i], read at run time, so that a
    // concat of named dims (a KV cache's M and the new tokens' S) can be split back.
    infer: ([x, ...likes], { axis, likeAxes }) => {
      const sizes = likes.map((t, i) => t.shape[likeAxes[i]!] ?? fail(`splitLike: axis ${likeAxes[i]} out of range for ${fmtShape(t.shape)}`));
      const total = sizes.every((d) => typeof d === 'number') ? (sizes as number[]).reduce((a, b) => a + b, 0) : sizes.join('+');
      if (x!.shape[axis] !== total) fail(`splitLike: parts [${sizes.join(', ')}] do not make up axis ${axis} of ${fmtShape(x!.shape)}`);
      return sizes.map((d) => ({ shape: x!.shape.map((v, i) => (i === axis ? d : v)), dtype: x!.dtype }));
    },
    emit: (e, { inputs: [x, ...likes], outputs, attrs: { axis, likeAxes } }) => {
      const lengths = likes.map((t, i) => e.node('Shape', [e.name(t)], 1, { start: likeAxes[i]!, end: likeAxes[i]! + 1 })[0]!);
      const sizes = e.node('Concat', lengths, 1, { axis: 0 })[0]!;
      e.node('Split', [e.name(x!), sizes], outputs.map((t) => e.name(t)), { axis });
    },
    // NOTE: as split's; the likes give only their shapes.
    vjp: ({ inputs, outputs, attrs: { axis } }, gy) => [g.concat(outputs.map((y, i) => gy[i] ?? g.zerosLike(y)), axis), ...inputs.slice(1).map(() => null)],
  },
  fill: {
    // inputs: [] or [like]; filled at run time by ConstantOfShape, so no bytes in the model.
    infer: (_, { shape, dtype }) => [{ shape, dtype }],
    emit: (e, n) => {
      const [like] = n.inputs;
      const shape = like ? e.node('Shape', [e.name(like)], 1)[0]! : e.ints(n.attrs.shape as number[]);
      e.node('ConstantOfShape', [shape], [e.name(n.outputs[0]!)], { value: { value: n.attrs.value, dtype: n.attrs.dtype } });
    },
    vjp: noGrad,
  },
  arange: {
    // inputs: [like]; int64 [n] = 0, 1, …, n−1 (or n−1, …, 0 with `reverse`) for n = like's run-time size
    // along `axis`, so masks over named dims (a KV cache's P+S) are built in the graph.
    infer: ([like], { axis }) => {
      if (axis < 0 || axis >= like!.rank) fail(`arange: axis ${axis} out of range for ${fmtShape(like!.shape)}`);
      return [{ shape: [like!.shape[axis]!], dtype: 'int64' }];
    },
    emit: (e, { inputs: [like], outputs: [y], attrs: { axis, reverse } }) => {
      const scalar = (v: number): string => e.node('Squeeze', [e.ints([v])], 1)[0]!;
      const n = e.node('Squeeze', [e.node('Shape', [e.name(like!)], 1, { start: axis, end: axis + 1 })[0]!], 1)[0]!;
      const start = reverse ? e.node('Sub', [n, scalar(1)], 1)[0]! : scalar(0);
      e.node('Range', reverse ? [start, scalar(-1), scalar(-1)] : [start, n, scalar(1)], [e.name(y!)]);
    },
    // NOTE: integer positions carry no gradient; `like` contributes only its shape.
    vjp: noGrad,
  },

  // ── fused standard ops, gradients written explicitly ────────────────────────────────────────
  rotaryEmbedding: {
    // inputs: x [B,H,S,HS] float32, cos and sin caches [M, HS/2], positions [B,S] int64 (rows of the caches).
    // ONNX RotaryEmbedding (opset 23, float32 on the CPU), rotate_half convention (interleaved = 0):
    // y1 = x1·cos − x2·sin, y2 = x2·cos + x1·sin over the two halves of HS.
    infer: ([x, cos, sin, pos]) => {
      const [B, , S, HS] = x!.shape;
      const ok = x!.rank === 4 && typeof HS === 'number' && cos!.rank === 2 && cos!.shape[1] === HS / 2 && sameShape(sin!.shape, cos!.shape) && sameShape(pos!.shape, [B!, S!]) && pos!.dtype === 'int64';
      if (!ok || x!.dtype !== 'float32')
        fail(`rotaryEmbedding: expected float32 x [B,H,S,HS], cos and sin [M,HS/2], int64 positions [B,S], got ${[x, cos, sin, pos].map((t) => `${fmtShape(t!.shape)}:${t!.dtype}`).join(', ')}`);
      return [{ shape: x!.shape, dtype: sameDType('rotaryEmbedding', [x!, cos!, sin!]) }];
    },
    emit: direct('RotaryEmbedding'),
    // NOTE: the rotation is orthogonal, so its VJP is the inverse rotation: the same op with −sin.
    vjp: ({ inputs: [, cos, sin, pos] }, [gy]) => [g.rotaryEmbedding(gy!, cos!, g.neg(sin!), pos!), null, null, null],
  },
  rmsNorm: {
    infer: ([x, scale]) => {
      const C = x!.shape[x!.rank - 1];
      if (scale!.rank !== 1 || scale!.shape[0] !== C) fail(`rmsNorm: expected x [...,C] and scale [C], got ${fmtShape(x!.shape)} and ${fmtShape(scale!.shape)}`);
      return [{ shape: x!.shape, dtype: sameDType('rmsNorm', [x!, scale!]) }];
    },
    emit: direct('RMSNormalization', ({ eps }) => ({ axis: -1, epsilon: { f: eps } })),
    vjp: ({ inputs: [x, scale], attrs: { eps } }, [gy]) => {
      // forward: r = 1/sqrt(mean(x²) + eps), x̂ = x·r, y = x̂·scale
      const r = g.rsqrt(g.add(g.reduceMean(g.mul(x!, x!), -1, true), eps)); // [..., 1]
      const xhat = g.mul(x!, r); // [..., C]
      const dxhat = g.mul(gy!, scale!); // [..., C]
      // dx = r·(dx̂ − x̂·mean(dx̂⊙x̂))
      const dx = g.mul(r, g.sub(dxhat, g.mul(xhat, g.reduceMean(g.mul(dxhat, xhat), -1, true))));
      return [dx, g.sumTo(g.mul(gy!, xhat), scale!)];
    },
  },
  attention: {
    // inputs: q [B,H,G*T,HS] (pre-scaled), k, v [B,H,T,HS], additive mask [T,T]; outputs: o [B,H,G*T,HS], p [B,H,G*T,T].
    // Forward: p = softmax(q·kᵀ + mask) over the last axis, with the G query heads of a KV group stacked
    // along time; o = p·v. Emitted as MatMul, Add, Softmax, MatMul (ONNX Attention measured no faster,
    // and the gradient needs p anyway).
    infer: ([q, k, v, mask], { groups: G }) => {
      const [B, H, GT, HS] = q!.shape;
      const T = k!.shape[2];
      const ok = q!.rank === 4 && sameShape(k!.shape, [B!, H!, T!, HS!]) && sameShape(v!.shape, k!.shape) && sameShape(mask!.shape, [T!, T!]) && GT === (T as number) * G;
      if (!ok) fail(`attention: expected q [B,H,G*T,HS], k and v [B,H,T,HS], mask [T,T] with G=${G}, got ${[q, k, v, mask].map((t) => fmtShape(t!.shape)).join(', ')}`);
      const dtype = sameDType('attention', [q!, k!, v!, mask!]);
      return [{ shape: q!.shape, dtype }, { shape: [B!, H!, GT!, T!], dtype }];
    },
    emit: (e, { inputs: [q, k, v, mask], outputs: [o, p], attrs: { groups: G } }) => {
      const GT = q!.shape[2] as number;
      const T = k!.shape[2] as number;
      // 0 copies B and H from the input, so a named batch dim needs no run-time shape.
      const kT = e.node('Transpose', [e.name(k!)], 1, { perm: [0, 1, 3, 2] })[0]!;
      const s = e.node('MatMul', [e.name(q!), kT], 1)[0]!; // [B, H, G*T, T]
      const s5 = e.node('Reshape', [s, e.ints([0, 0, G, T, T])], 1)[0]!; // [B, H, G, T, T]
      const masked = e.node('Add', [s5, e.name(mask!)], 1)[0]!;
      const p5 = e.node('Softmax', [masked], 1, { axis: -1 })[0]!;
      e.node('Reshape', [p5, e.ints([0, 0, GT, T])], [e.name(p!)]);
      e.node('MatMul', [e.name(p!), e.name(v!)], [e.name(o!)]);
    },
    vjp: ({ inputs: [q, k, v], outputs: [o, p] }, [gO, gP]) => {
      // NOTE: softmax backward needs rowsum(dP ⊙ P), which equals rowsum(dO ⊙ O) (FlashAttention's D):
      // a [.., G*T, HS] product instead of two passes over the [.., G*T, T] scores.
      const dv = gO ? g.matmul(g.transpose(p!), gO) : null; // [B, H, T, HS]
      let dP = gO ? g.matmul(gO, g.transpose(v!)) : null; // [B, H, G*T, T]
      let D = gO ? g.reduceSum(g.mul(gO, o!), -1, true) : null; // [B, H, G*T, 1]
      if (gP) {
        dP = dP ? g.add(dP, gP) : gP;
        const Dp = g.reduceSum(g.mul(gP, p!), -1, true);
        D = D ? g.add(D, Dp) : Dp;
      }
      if (!dP || !D) return [null, null, dv, null];
      const dS = g.mul(g.sub(dP, D), p!); // [B, H, G*T, T]; the temporary first, so ONNX Runtime can write in place
      const dq = g.matmul(dS, k!); // [B, H, G*T, HS]
      const dk = g.matmul(g.transpose(dS), q!); // [B, H, T, HS]
      return [dq, dk, dv ?? g.zerosLike(v!), null];
    },
  },
  softmaxCrossEntropy: {
    // outputs: [mean loss over non-ignored rows (scalar), log-probabilities [N, V]]
    infer: ([logits, t]) => {
      if (logits!.rank !== 2 || t!.rank !== 1 || t!.shape[0] !== logits!.shape[0] || (t!.dtype !== 'int64' && t!.dtype !== 'int32'))
        fail(`softmaxCrossEntropy: expected logits [N,V] and int targets [N], got ${fmtShape(logits!.shape)} and ${fmtShape(t!.shape)} ${t!.dtype}`);
      const dtype = floatOnly('softmaxCrossEntropy', logits!);
      return [{ shape: [], dtype }, { shape: logits!.shape, dtype }];
    },
    emit: direct('SoftmaxCrossEntropyLoss', ({ ignoreIndex }) => ({ ignore_index: ignoreIndex, reduction: 'mean' })),
    vjp: ({ inputs: [logits, t], outputs: [, logProb], attrs: { ignoreIndex } }, [gLoss, gLogProb]) => {
      const N = logits!.shape[0]!;
      const p = g.exp(logProb!); // [N, V] softmax
      const t2 = g.reshape(t!, [N, 1]); // [N, 1]
      let dx: Tensor | null = null;
      if (gLoss) {
        // NOTE: mean over non-ignored rows: ignored rows get zero gradient, the rest (p − onehot)/count.
        // The one-hot part touches one element per row, so it is a scatter of N values, not an [N, V] pass.
        const ignored = g.equal(t2, ignoreIndex); // [N, 1]
        const keep = g.where(ignored, 0, g.full(logits!.graph, [1, 1], 1, p.dtype)); // [N, 1]
        const scale = g.div(g.mul(keep, gLoss), g.reduceSum(keep)); // [N, 1]
        const safeT = g.where(ignored, 0, t2); // [N, 1], an in-range index for ignored rows (their scale is 0)
        dx = g.scatterElementsAdd(g.mul(p, scale), safeT, g.neg(scale), 1); // [N, V]
      }
      if (gLogProb) {
        const d = g.sub(gLogProb, g.mul(p, g.reduceSum(gLogProb, -1, true))); // log-softmax VJP
        dx = dx ? g.add(dx, d) : d;
      }
      return [dx, null];
    },
  },

  // ── frozen block-quantized weights (quantize/ packs them; no gradient reaches codes or scales) ──
  matMulNBits: {
    // inputs: x [..., K] float32, codes uint8 [N, ⌈K/bs⌉, bs·bits/8], scales float32 [N, ⌈K/bs⌉];
    // y = x @ W [..., N] with Wᵀ = dequantizeNBits(codes, scales), by ONNX Runtime's MatMulNBits kernel.
    infer: ([x, codes, scales], a) => {
      nbitsLayout('matMulNBits', codes!, scales!, a);
      if (x!.dtype !== 'float32' || x!.shape[x!.rank - 1] !== a.K)
        fail(`matMulNBits: expected float32 x [...,${a.K}], got ${fmtShape(x!.shape)} ${x!.dtype}`);
      return [{ shape: [...x!.shape.slice(0, -1), a.N], dtype: 'float32' }];
    },
    emit: direct('com.microsoft.MatMulNBits', (a) => ({ K: a.K, N: a.N, bits: a.bits, block_size: a.blockSize, accuracy_level: a.accuracyLevel })),
    // NOTE: dx = dy @ Wᵀ with Wᵀ dequantized from the same codes, so the gradient is exactly the
    // forward's transpose (no second, differently rounded copy). Codes and scales are frozen: null.
    vjp: ({ inputs: [, codes, scales], attrs: { K, N, bits, blockSize } }, [gy]) =>
      [g.matmul(gy!, g.dequantizeNBits(codes!, scales!, { K, N, bits, blockSize })), null, null],
  },
  dequantizeNBits: {
    // inputs: codes uint8 [N, nb, bs·bits/8], scales [N, nb] → Wᵀ [N, K] = (code − 2^(bits−1)) · scale,
    // codes packed low nibble first along K; a ragged last block is cut off at K.
    infer: ([codes, scales], a) => {
      nbitsLayout('dequantizeNBits', codes!, scales!, a);
      return [{ shape: [a.N, a.K], dtype: floatOnly('dequantizeNBits', scales!) }];
    },
    emit: (e, { inputs: [codes, scales], outputs: [w], attrs: { K, bits, blockSize } }) => {
      const to = onnxDType(scales!.dtype);
      const cast = (name: string, code: number): string => e.node('Cast', [name], 1, { to: code })[0]!;
      const unsqueeze = (name: string): string => e.node('Unsqueeze', [name, e.ints([-1])], 1)[0]!;
      let q = e.name(codes!); // [N, nb, blob] uint8
      if (bits === 4) {
        const lo = e.node('BitwiseAnd', [q, cast(e.ints([15]), DTYPE_CODE.uint8)], 1)[0]!;
        const hi = e.node('BitShift', [q, cast(e.ints([4]), DTYPE_CODE.uint8)], 1, { direction: 'RIGHT' })[0]!;
        const pairs = e.node('Concat', [unsqueeze(lo), unsqueeze(hi)], 1, { axis: -1 })[0]!; // [N, nb, blob, 2]
        q = e.node('Reshape', [pairs, e.ints([0, 0, -1])], 1)[0]!; // [N, nb, bs]
      }
      const centred = e.node('Sub', [cast(q, to), cast(e.ints([2 ** (bits - 1)]), to)], 1)[0]!; // [N, nb, bs]
      const scaled = e.node('Mul', [centred, unsqueeze(e.name(scales!))], 1)[0]!; // [N, nb, bs]
      const padded = Math.ceil(K / blockSize) * blockSize;
      if (padded === K) return void e.node('Reshape', [scaled, e.ints([0, -1])], [e.name(w!)]);
      const rows = e.node('Reshape', [scaled, e.ints([0, -1])], 1)[0]!; // [N, padded]
      e.node('Slice', [rows, e.ints([0]), e.ints([K]), e.ints([1])], [e.name(w!)]);
    },
    vjp: noGrad, // NOTE: a frozen base: nothing upstream of the codes or scales is trained.
  },
};

/** Checks codes and scales against MatMulNBits' layout for W [K, N]. */
function nbitsLayout(op: string, codes: Tensor, scales: Tensor, { K, N, bits, blockSize: bs }: NBits): void {
  const nb = Math.ceil(K / bs);
  if ((bits !== 4 && bits !== 8) || bs < 16 || (bs & (bs - 1)) !== 0)
    fail(`${op}: bits must be 4 or 8 and block size a power of two ≥ 16, got bits=${bits} block=${bs}`);
  if (codes.dtype !== 'uint8' || !sameShape(codes.shape, [N, nb, (bs * bits) / 8]) || !sameShape(scales.shape, [N, nb]))
    fail(`${op}: expected uint8 codes [${N},${nb},${(bs * bits) / 8}] and scales [${N},${nb}] for W [${K},${N}], got ${fmtShape(codes.shape)} ${codes.dtype} and ${fmtShape(scales.shape)}`);
}

const isIndex = (t: Tensor): boolean => t.dtype === 'int64' || t.dtype === 'int32';

function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
