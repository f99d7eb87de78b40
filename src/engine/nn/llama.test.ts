import { describe, expect, it } from 'vitest';
import { Graph } from '../graph/graph.js';
import type { Tensor } from '../graph/tensor.js';
import { checkGradients } from '../onnx/gradcheck.js';
import { type Feed, Session, ort } from '../onnx/session.js';
import { grad } from '../graph/autodiff.js';
import { declareLlamaParams, initLlamaParams, llamaLoss, llamaParamSpecs } from './llama.js';
import { type LlamaConfig, countParams, preset, presets } from './presets.js';

const micro = (tied: boolean): LlamaConfig => ({
  vocabSize: 7, hidden: 4, layers: 1, heads: 2, kvHeads: 1, ffn: 6, maxSeqLen: 8, ropeTheta: 10000, normEps: 1e-5, tiedEmbeddings: tied,
});

describe('llama', () => {
  it('declares exactly countParams parameters for every preset', () => {
    for (const name of Object.keys(presets) as (keyof typeof presets)[]) {
      const cfg = preset(name);
      const n = llamaParamSpecs(cfg).reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0);
      expect(n, name).toBe(countParams(cfg));
    }
  });

  for (const tied of [false, true])
    it(`loss gradients match finite differences (float64, GQA, ${tied ? 'tied' : 'untied'} embeddings)`, async () => {
      const cfg = micro(tied);
      const specs = llamaParamSpecs(cfg);
      const [B, T] = [2, 3];
      const tokens = { shape: [B, T], dtype: 'int64' as const, values: [0, 3, 6, 2, 2, 5] };
      const targets = { shape: [B, T], dtype: 'int64' as const, values: [3, 6, 1, 2, 5, -100] };
      const build = (...xs: Tensor[]): Tensor => {
        const p = Object.fromEntries(specs.map((s, i) => [s.name, xs[i]!]));
        return llamaLoss(cfg, p, xs[specs.length]!, xs[specs.length + 1]!);
      };
      const { maxdiff } = await checkGradients([...specs.map((s) => ({ shape: s.shape })), tokens, targets], build);
      console.log(`maxdiff ${maxdiff.toExponential(1)} ≤ tol 1e-6 (llama loss, all params, ${tied ? 'tied' : 'untied'})`);
      expect(maxdiff).toBeLessThanOrEqual(1e-6);
    });

  it('runs with a named batch dim and matches the fixed-shape graph, gradients included', async () => {
    const cfg = micro(false);
    const T = 3;
    const run = async (B: number | string): Promise<number[]> => {
      const graph = new Graph(`named-${B}`);
      const params = declareLlamaParams(graph, cfg);
      const tokens = graph.input('tokens', [B, T], 'int64');
      const loss = llamaLoss(cfg, params, tokens, tokens);
      graph.output('loss', loss);
      graph.output('dwq', grad(loss, [params['layers.0.wq']!])[0]!);
      const s = await Session.create(graph, { threads: 1 });
      const flat = initLlamaParams(cfg, 2, 0.5);
      const feeds: Record<string, Feed> = { tokens: new ort.Tensor('int64', BigInt64Array.from([1, 2, 3, 4, 5, 6], BigInt), [2, T]) };
      let at = 0;
      for (const sp of llamaParamSpecs(cfg)) feeds[sp.name] = flat.subarray(at, (at += sp.shape.reduce((a, b) => a * b, 1)));
      const out = await s.run(feeds);
      return [Number(out.loss!.data[0]), ...Array.from(out.dwq!.data as Float32Array)];
    };
    expect(await run('B')).toEqual(await run(2));
  });

  it('starts the nano model near the uniform loss ln(V)', async () => {
    const cfg = preset('nano');
    const [B, T] = [2, 16];
    const graph = new Graph('nano');
    const params = declareLlamaParams(graph, cfg);
    const tokens = graph.input('tokens', [B, T], 'int64');
    const targets = graph.input('targets', [B, T], 'int64');
    graph.output('loss', llamaLoss(cfg, params, tokens, targets));
    const session = await Session.create(graph);
    const flat = initLlamaParams(cfg, 1);
    const feeds: Record<string, Float32Array | BigInt64Array> = {};
    let at = 0;
    for (const s of llamaParamSpecs(cfg)) {
      const n = s.shape.reduce((a, b) => a * b, 1);
      feeds[s.name] = flat.subarray(at, (at += n));
    }
    feeds.tokens = BigInt64Array.from({ length: B * T }, (_, i) => BigInt((i * 37) % cfg.vocabSize));
    feeds.targets = BigInt64Array.from({ length: B * T }, (_, i) => BigInt((i * 11) % cfg.vocabSize));
    const loss = Number((await session.run(feeds)).loss!.data[0]);
    console.log(`nano initial loss ${loss.toFixed(4)} vs ln(V) ${Math.log(cfg.vocabSize).toFixed(4)}`);
    expect(Math.abs(loss - Math.log(cfg.vocabSize))).toBeLessThan(0.05);
  });
});
