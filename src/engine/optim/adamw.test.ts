import { describe, expect, it } from 'vitest';
import { Graph } from '../graph/graph.js';
import { rng } from '../onnx/gradcheck.js';
import { Session } from '../onnx/session.js';
import { ADAMW_DEFAULTS, adamwUpdate, clipScale } from './adamw.js';

describe('AdamW as graph code', () => {
  it('matches a plain reference update (clipping, bias correction, masked decay)', async () => {
    const n = 6;
    const opts = { ...ADAMW_DEFAULTS, maxGradNorm: 0.5 };
    const graph = new Graph();
    const [p, d, m, v, mask] = ['p', 'd', 'm', 'v', 'mask'].map((k) => graph.input(k, [n], 'float64'));
    const lr = graph.input('lr', [], 'float64');
    const step = graph.input('step', [], 'float64');
    const clip = clipScale([d!], opts.maxGradNorm);
    const out = adamwUpdate({ param: p!, m: m!, v: v! }, d!, { lr, step, gradScale: clip.scale }, opts, mask);
    graph.output('p2', out.param);
    graph.output('m2', out.m);
    graph.output('v2', out.v);
    const r = rng(7);
    const data = Object.fromEntries(['p', 'd', 'm', 'v'].map((k) => [k, Float64Array.from({ length: n }, () => (k === 'v' ? Math.abs(r.normal()) : r.normal()))]));
    data.mask = Float64Array.from([1, 1, 0, 1, 0, 1]);
    const [LR, STEP] = [1e-2, 3];
    const res = await (await Session.create(graph, { threads: 1 })).run({ ...data, lr: Float64Array.of(LR), step: Float64Array.of(STEP) });

    // Reference (PyTorch's AdamW, after clip_grad_norm_).
    const norm = Math.sqrt(data.d!.reduce((s, x) => s + x * x, 0));
    const c = norm > opts.maxGradNorm ? opts.maxGradNorm / (norm + 1e-6) : 1;
    let maxdiff = 0;
    for (let i = 0; i < n; i++) {
      const gi = data.d![i]! * c;
      const mi = opts.beta1 * data.m![i]! + (1 - opts.beta1) * gi;
      const vi = opts.beta2 * data.v![i]! + (1 - opts.beta2) * gi * gi;
      const mhat = mi / (1 - opts.beta1 ** STEP);
      const vhat = vi / (1 - opts.beta2 ** STEP);
      const pi = data.p![i]! * (1 - LR * opts.weightDecay * data.mask[i]!) - (LR * mhat) / (Math.sqrt(vhat) + opts.eps);
      for (const [k, want] of [['p2', pi], ['m2', mi], ['v2', vi]] as const) maxdiff = Math.max(maxdiff, Math.abs(Number(res[k]!.data[i]) - want));
    }
    console.log(`maxdiff ${maxdiff.toExponential(1)} ≤ tol 1e-12 (adamw vs reference)`);
    expect(maxdiff).toBeLessThanOrEqual(1e-12);
  });
});
