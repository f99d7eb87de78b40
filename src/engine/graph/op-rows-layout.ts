/** The op table's rows for matmul, layout (transpose, reshape, expand), reductions and softmax. */
import { type Rows, fail, direct, sameDType, floatOnly, unaryFloat, reducedShape, keptGrad, expandTo, sameShape, noGrad } from './op-helpers.js';
import type { Emitter } from './emitter.js';
import * as g from './ops.js';
import { type Dim, type Shape, broadcast, lastTwoSwapped, divideDims, fmtShape, isStatic, numel } from './shape.js';

export const LAYOUT_OPS: Rows<'matmul' | 'thinMatmul' | 'transpose' | 'reshape' | 'expand' | 'reduceSum' | 'reduceMean' | 'reduceMax' | 'argMax' | 'softmax' | 'logSoftmax'> = {
  // ── linear algebra and layout ───────────────────────────────────────────────────────────────
  matmul: {
    infer: ([a, b]) => [{ shape: productShape('matmul', a!.shape, b!.shape), dtype: sameDType('matmul', [a!, b!]) }],
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
  thinMatmul: {
    // a [..., M, K] @ b [..., K, N], or @ bᵀ for b [..., N, K] with transB; batch dims broadcast.
    // An optional third input, a one-element bool, says whether b has one row (shared by many products).
    infer: ([a, b, single], { transB }) => {
      if (single && (single.dtype !== 'bool' || numel(single.shape) !== 1))
        fail(`thinMatmul: the one-row condition must be a one-element bool, got ${fmtShape(single.shape)} ${single.dtype}`);
      const bShape = transB && b!.rank >= 2 ? lastTwoSwapped(b!.rank).map((i) => b!.shape[i]!) : b!.shape;
      return [{ shape: productShape('thinMatmul', a!.shape, bShape), dtype: sameDType('thinMatmul', [a!, b!]) }];
    },
    // One row of b at run time (a decode step's one new token) takes the elementwise branch: each product
    // is then a dot or an outer product, and ONNX Runtime runs a MatMul of those as one tiny GEMM per batch
    // entry (256 a layer at batch 32), which costs dispatch, not arithmetic. An If picks the branch per run.
    emit: (e, { inputs: [a, b, given], outputs: [y], attrs: { transB } }) => {
      const [A, B] = [e.name(a!), e.name(b!)];
      // [..., M, K] · [..., 1, K] summed over K, or the outer product [..., M, 1] · [..., 1, N]
      const elementwise = (t: Emitter, out: string[] | 1 = 1): string[] =>
        transB ? t.node('ReduceSum', [t.node('Mul', [A, B], 1)[0]!, t.ints([-1])], out, { keepdims: 1 }) : t.node('Mul', [A, B], out);
      const product = (t: Emitter, out: string[] | 1 = 1): string[] =>
        t.node('MatMul', [A, transB ? t.node('Transpose', [B], 1, { perm: lastTwoSwapped(b!.rank) })[0]! : B], out);
      const rowsOfB = b!.shape[b!.rank - 2]!;
      // A fixed size is decided here (ONNX Runtime also checks the branch not taken, so it must fit).
      if (typeof rowsOfB === 'number') return void (rowsOfB === 1 ? elementwise : product)(e, [e.name(y!)]);
      // If's condition, a one-element bool: given (one for many products), or from b's shape here
      const single = given ? e.name(given) : e.node('Equal', [e.node('Shape', [B], 1, { start: -2, end: -1 })[0]!, e.ints([1])], 1)[0]!;
      e.ifElse(single, [{ name: e.name(y!), dtype: y!.dtype }], (t) => elementwise(t), (t) => product(t));
    },
    vjp: ({ inputs: [a, b, single], attrs: { transB } }, [gy]) => [
      ...(transB
        ? [g.sumTo(g.matmul(gy!, b!), a!), g.sumTo(g.matmul(g.transpose(gy!), a!), b!)]
        : [g.sumTo(g.matmul(gy!, g.transpose(b!)), a!), g.sumTo(g.matmul(g.transpose(a!), gy!), b!)]),
      ...(single ? [null] : []),
    ],
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
  argMax: {
    // int64 indices, the axis dropped; the first index at ties, as the sampler's argmax.
    infer: ([x], { axis }) => {
      floatOnly('argMax', x!);
      return [{ shape: x!.shape.filter((_, i) => i !== axis), dtype: 'int64' }];
    },
    // As TopK with k = 1 (the lower index first at ties): ONNX Runtime 1.30 runs it ~2× faster than ArgMax
    // (32 rows of 8,192 on 2 threads: 0.06 against 0.11 ms a run).
    emit: (e, n) => {
      const [, indices] = e.node('TopK', [e.name(n.inputs[0]!), e.ints([1])], 2, { axis: n.attrs.axis });
      e.node('Squeeze', [indices!, e.ints([n.attrs.axis])], [e.name(n.outputs[0]!)]);
    },
    vjp: noGrad,
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
};

/** [..., M, K] @ [..., K, N] → [..., M, N], batch dims broadcast. */
function productShape(op: string, a: Shape, b: Shape): Dim[] {
  const bad = a.length < 2 || b.length < 2 || a[a.length - 1] !== b[b.length - 2];
  const batch = bad ? null : broadcast(a.slice(0, -2), b.slice(0, -2));
  return batch ? [...batch, a[a.length - 2]!, b[b.length - 1]!] : fail(`${op}: expected [...,M,K] @ [...,K,N], got ${fmtShape(a)} @ ${fmtShape(b)}`);
}
