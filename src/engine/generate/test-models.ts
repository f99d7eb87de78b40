/**
 * Small models and a no-cache reference for the generate/ and export tests: llamaForward over a whole
 * sequence is the ground truth that the cached decoder must reproduce.
 */
import { Graph } from '../graph/graph.js';
import { type Feed, Session, ort } from '../onnx/session.js';
import { declareLlamaParams, initLlamaParams, llamaForward } from '../nn/llama.js';
import type { LlamaConfig } from '../nn/presets.js';
import { type DecoderWeights, llamaWeights } from './decoder.js';

/** 2 layers, grouped-query attention (4 query heads over 2 KV heads), V = 61. */
export const gqaMicro: LlamaConfig = {
  vocabSize: 61, hidden: 32, layers: 2, heads: 4, kvHeads: 2, ffn: 48, maxSeqLen: 48, ropeTheta: 10_000, normEps: 1e-5, tiedEmbeddings: false,
};

/** Seeded weights with a spread (std 0.2) large enough that logits differ clearly between tokens. */
export function testWeights(cfg: LlamaConfig, seed = 1, std = 0.2): { flat: Float32Array; weights: DecoderWeights } {
  const flat = initLlamaParams(cfg, seed, std);
  return { flat, weights: llamaWeights(cfg, flat) };
}

/** Logits [T, V] of one whole sequence by llamaForward (no cache). */
export async function referenceLogits(cfg: LlamaConfig, weights: DecoderWeights, tokens: readonly number[]): Promise<Float32Array> {
  const graph = new Graph(`reference-${tokens.length}`);
  const p = declareLlamaParams(graph, cfg);
  const t = graph.input('tokens', [1, tokens.length], 'int64');
  graph.output('logits', llamaForward(cfg, p, t)); // [T, V]
  const s = await Session.create(graph, { threads: 1 });
  const feeds: Record<string, Feed> = { tokens: new ort.Tensor('int64', BigInt64Array.from(tokens, BigInt), [1, tokens.length]) };
  for (const { name } of graph.inputs()) if (name !== 'tokens') feeds[name] = weights[name]!;
  return (await s.run(feeds)).logits!.data as Float32Array;
}
