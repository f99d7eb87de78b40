import { describe, expect, it } from 'vitest';
import { grad } from './autodiff.js';
import { Graph } from './graph.js';
import * as g from './ops.js';

describe('shape inference', () => {
  it('broadcasts named and fixed dims', () => {
    const graph = new Graph();
    const x = graph.input('x', ['B', 'T', 8]); // [B, T, C]
    const b = graph.param('b', [8]); // [C]
    expect(g.add(x, b).shape).toEqual(['B', 'T', 8]);
    expect(g.matmul(x, graph.param('w', [8, 3])).shape).toEqual(['B', 'T', 3]);
    expect(g.reshape(x, [-1, 8]).shape).toEqual(['B*T', 8]);
    expect(g.reshape(x, ['B', 'T', 2, 4]).shape).toEqual(['B', 'T', 2, 4]);
    expect(g.reduceSum(x, [0, 1], true).shape).toEqual([1, 1, 8]);
  });

  it('fails fast with the op name and both shapes', () => {
    const graph = new Graph();
    const a = graph.input('a', [4, 64, 96]);
    const w = graph.param('w', [128, 10]);
    expect(() => g.matmul(a, w)).toThrow('matmul: expected [...,M,K] @ [...,K,N], got [4,64,96] @ [128,10]');
    expect(() => g.add(a, w)).toThrow('add: cannot broadcast [4,64,96] with [128,10]');
    expect(() => g.reshape(a, [5, -1])).toThrow('reshape: cannot reshape [4,64,96] (24576) to [5,-1]');
    expect(() => g.add(a, graph.input('d', [96], 'float64'))).toThrow('add: dtype mismatch float32 vs float64');
    expect(() => g.slice(a, 1, 10, 70)).toThrow('slice: [10:70] out of range for axis 1 of [4,64,96]');
    expect(() => graph.input('a', [1])).toThrow("name 'a' is already used");
  });
});

describe('grad', () => {
  it('accumulates the gradient of a value used twice', () => {
    const graph = new Graph();
    const x = graph.input('x', [3]);
    const [dx] = grad(g.reduceSum(g.mul(x, x)), [x]); // d Σx² = 2x, two uses of x
    expect(dx!.node!.op).toBe('add');
  });

  it('gives zeros for a value the loss does not depend on, and rejects non-scalar losses', () => {
    const graph = new Graph();
    const x = graph.input('x', [3]);
    const y = graph.input('y', [2]);
    expect(grad(g.reduceSum(x), [y])[0]!.node!.op).toBe('fill');
    expect(() => grad(x, [x])).toThrow('grad: loss must be a scalar, got [3]');
  });
});
