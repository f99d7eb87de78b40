import { describe, expect, it } from 'vitest';
import { Graph } from '../graph/graph.js';
import * as g from '../graph/ops.js';
import { grad } from '../graph/autodiff.js';
import { emitModel } from './emit.js';
import { Session, ort } from './session.js';

function linear(): Graph {
  const graph = new Graph('linear');
  const x = graph.input('x', [2, 3]); // [B, C]
  const w = graph.param('w', [3, 4]); // [C, V]
  const y = g.matmul(x, w); // [B, V]
  const loss = g.reduceMean(g.mul(y, y));
  graph.output('y', y);
  graph.output('loss', loss);
  graph.output('dw', grad(loss, [w])[0]!);
  return graph;
}

describe('emit + Session', () => {
  it('emits the same bytes and hash for the same graph', () => {
    const a = emitModel(linear());
    const b = emitModel(linear());
    expect(Buffer.from(a.bytes).equals(Buffer.from(b.bytes))).toBe(true);
    expect(a.hash).toBe(b.hash);
    expect(a.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('runs with named feeds into preallocated outputs, and caches compiled sessions', async () => {
    const s = await Session.create(linear(), { threads: 1 });
    const out = s.allocOutputs();
    const x = Float32Array.from([1, 2, 3, 4, 5, 6]);
    const w = Float32Array.from({ length: 12 }, (_, i) => i / 10);
    const res = await s.run({ x, w }, out);
    // results land in our buffer: y[0][0] = 1·0 + 2·0.4 + 3·0.8
    expect(out.y!.data[0]).toBeCloseTo(3.2, 5);
    expect(res.y!.data[0]).toBeCloseTo(3.2, 5);
    const again = await Session.create(linear(), { threads: 1 });
    expect(again.ort).toBe(s.ort);
  });

  it('runs graphs with named dims', async () => {
    const graph = new Graph();
    const x = graph.input('x', ['B', 'T', 4]); // [B, T, C]
    const flat = g.reshape(x, [-1, 4]); // [B*T, C]
    const y = g.reshape(g.reduceSum(flat, -1, true), ['B', 'T'], g.reduceSum(x, -1)); // [B, T]
    graph.output('y', y);
    graph.output('gx', grad(g.reduceSum(g.mul(y, y)), [x])[0]!);
    const s = await Session.create(graph, { threads: 1 });
    const res = await s.run({ x: new ort.Tensor('float32', new Float32Array(24).fill(1), [2, 3, 4]) });
    expect(res.y!.dims).toEqual([2, 3]);
    expect(Array.from(res.gx!.data as Float32Array)).toEqual(new Array(24).fill(8));
  });

  it('bakes inputs into initializers for a self-contained model', async () => {
    const w = Float32Array.from({ length: 12 }, (_, i) => i / 10);
    const s = await Session.create(emitModel(linear(), { bake: { w } }), { threads: 1 });
    expect(s.model.inputs.map((i) => i.name)).toEqual(['x']);
    const res = await s.run({ x: Float32Array.from([1, 2, 3, 4, 5, 6]) });
    expect(res.y!.data[0]).toBeCloseTo(3.2, 5);
  });

  it('names a missing or mistyped feed', async () => {
    const s = await Session.create(linear(), { threads: 1 });
    await expect(s.run({ x: new Float32Array(6) })).rejects.toThrow("run: missing feed 'w' [3,4]:float32");
    await expect(s.run({ x: new Float64Array(6), w: new Float32Array(12) })).rejects.toThrow('run: a float32 input needs a Float32Array, got Float64Array');
  });
});
