/** The op table's elementwise rows: binary ops with numpy broadcasting, unary ops, pow, where, cast. */
import { type Rows, fail, direct, sameDType, floatOnly, broadcastOrFail, elementwise, unaryFloat, noGrad, onnxDType } from './op-helpers.js';
import * as g from './ops.js';
import { isFloat } from './shape.js';

export const ELEMENTWISE_OPS: Rows<'add' | 'sub' | 'mul' | 'div' | 'equal' | 'less' | 'greater' | 'neg' | 'exp' | 'log' | 'tanh' | 'sigmoid' | 'relu' | 'sqrt' | 'reciprocal' | 'pow' | 'where' | 'cast'> = {
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
};
