/** The op table's indexing rows: gathers and scatters, slice, pad, concat, splits, fill, arange. */
import { type Rows, fail, direct, sameDType, noGrad, staticDim, isIndex, sameShape } from './op-helpers.js';
import * as g from './ops.js';
import { type Shape, fmtShape } from './shape.js';

export const INDEXING_OPS: Rows<'gather' | 'scatterAdd' | 'gatherElements' | 'scatterElementsAdd' | 'slice' | 'pad' | 'concat' | 'split' | 'splitLike' | 'fill' | 'arange'> = {
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
};
