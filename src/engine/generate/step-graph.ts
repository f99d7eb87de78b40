/**
 * The decoder graph that serving runs: the KV cache goes in read-only, and only the new tokens' keys
 * and values come out. onnxruntime-node copies every output of every run into a fresh ArrayBuffer
 * (even a preallocated one), so a graph that returns the whole grown cache (present = concat(past, new),
 * decoder-graph.ts) pays an allocation, page faults and a copy of the cache per step; at batch 32 that
 * was half of the step. Here the caller keeps the cache (kv-cache.ts) and writes the new columns itself.
 *
 *   input_ids [B, S] int64                    the new tokens, right-padded
 *   new_lengths [B] int64                      real tokens per row in input_ids (1 for a decode step)
 *   cache_lengths [B] int64                    cached tokens per row (also the position of its first new token)
 *   cache.N.key|value [B, NKV, M, HS]          row b's cached keys in columns 0 … cache_lengths[b]−1
 *   logit_rows [R] int64                       which of the B·S positions get logits (b·S + i)
 *   → logits [R, V], greedy_tokens [R] int64 (argmax of each logits row), new.N.key|value [B, NKV, S, HS] (keys rotated)
 *
 * One session serves prefill (M = 0, S = prompt length) and decode (S = 1). Attention takes one softmax
 * over the cached and the new scores and splits it back, so the cache is never concatenated with anything.
 */
import { Graph } from '../graph/graph.js';
import * as g from '../graph/ops.js';
import type { Tensor } from '../graph/tensor.js';
import { plainLinear } from '../nn/llama.js';
import type { LlamaConfig } from '../nn/presets.js';
import type { LinearFactory } from './decoder-graph.js';
import { lazyParams, llamaTrunk } from './decoder-trunk.js';

/** The step graph's value names. */
export const STEP_IO = {
  inputIds: 'input_ids',
  newLengths: 'new_lengths',
  cacheLengths: 'cache_lengths',
  logitRows: 'logit_rows',
  logits: 'logits',
  greedyTokens: 'greedy_tokens',
  cacheKey: (l: number): string => `cache.${l}.key`,
  cacheValue: (l: number): string => `cache.${l}.value`,
  newKey: (l: number): string => `new.${l}.key`,
  newValue: (l: number): string => `new.${l}.value`,
} as const;

/** Additive masking value: large enough that exp() of it is 0, small enough that sums of two stay finite. */
const MASKED = -1e9;

/** The step graph; `linear` builds the LinearFn (quantized weights declare their own params). */
export function buildStepGraph(cfg: LlamaConfig, opts: { linear?: LinearFactory } = {}): Graph {
  const { hidden: C, heads: NH, kvHeads: NKV } = cfg;
  const HS = C / NH;
  const G = NH / NKV; // query heads per KV head
  const GS = G === 1 ? 'S' : `${G}*S`; // the G query heads of a KV head stacked along time
  const graph = new Graph('llama-step');
  const inputIds = graph.input(STEP_IO.inputIds, ['B', 'S'], 'int64');
  const newLengths = graph.input(STEP_IO.newLengths, ['B'], 'int64');
  const cacheLengths = graph.input(STEP_IO.cacheLengths, ['B'], 'int64');
  const logitRows = graph.input(STEP_IO.logitRows, ['R'], 'int64');
  const cache = Array.from({ length: cfg.layers }, (_, l) => ({
    key: graph.input(STEP_IO.cacheKey(l), ['B', NKV, 'M', HS]),
    value: graph.input(STEP_IO.cacheValue(l), ['B', NKV, 'M', HS]),
  }));
  const p = lazyParams(graph, cfg);
  const linear = opts.linear?.(p, graph) ?? plainLinear(cfg, p);

  // Masks, once for all layers. New token i of row b sits at position cache_lengths[b] + i.
  const newCol = g.arange(inputIds, 1); // [S] int64
  const cacheCol = g.arange(cache[0]!.key, 2); // [M] int64
  const cached = g.reshape(cacheLengths, ['B', 1]); // [B, 1]
  const positionIds = g.add(cached, g.reshape(newCol, [1, 'S'])); // [B, S]
  const cacheValid = g.cast(g.less(g.reshape(cacheCol, [1, 'M']), cached), 'float32'); // [B, M]
  const cacheBias = g.reshape(g.mul(g.sub(cacheValid, 1), -MASKED), ['B', 1, 1, 'M']); // [B, 1, 1, M]: 0 or MASKED
  const newBias = newTokenBias(newCol, newLengths, G, GS); // [B, 1, G·S, S]
  // A decode step (S = 1) runs the new token's score and value products elementwise (thinMatmul): one
  // test of S for all of them, since each test is two more nodes per product.
  const single = g.equal(g.reduceMax(newCol), 0); // the new columns are [0]

  const newKv: { key: Tensor; value: Tensor }[] = [];
  const attend = (l: number, q: Tensor, k: Tensor, v: Tensor): Tensor => {
    newKv.push({ key: k, value: v });
    const qg = g.reshape(g.mul(q, 1 / Math.sqrt(HS)), ['B', NKV, GS, HS]); // [B, NKV, G·S, HS], pre-scaled
    const sCache = g.add(g.matmul(qg, g.transpose(cache[l]!.key, [0, 1, 3, 2])), cacheBias); // [B, NKV, G·S, M]
    const sNew = g.add(g.thinMatmul(qg, k, { transB: true, single }), newBias); // [B, NKV, G·S, S]
    // One softmax over [cache | new] scores, split back to weigh the cached and the new values apart:
    // only the scores are concatenated, never the cache.
    const probs = g.softmax(g.concat([sCache, sNew], -1), -1); // [B, NKV, G·S, M+S]
    const [pCache, pNew] = g.splitLike(probs, -1, [[cache[0]!.key, 2], [inputIds, 1]]); // [B, NKV, G·S, M], [.., S]
    const att = g.add(g.matmul(pCache!, cache[l]!.value), g.thinMatmul(pNew!, v, { single })); // [B, NKV, G·S, HS]
    return g.reshape(att, ['B', NH, 'S', HS]); // [B, NH, S, HS]
  };
  const xf = llamaTrunk(cfg, p, { inputIds, positionIds }, linear, attend); // [B, S, C]
  const rows = g.gather(g.reshape(xf, [-1, C]), logitRows); // [R, C]
  const logits = linear(rows, 'lm_head'); // [R, V]
  graph.output(STEP_IO.logits, logits);
  // A batch of plain greedy rows fetches these instead of the logits: [R] ids, not R·V floats, each copied
  // out of ONNX Runtime and scanned in JS.
  graph.output(STEP_IO.greedyTokens, g.argMax(logits, -1)); // [R]
  newKv.forEach((kv, l) => {
    graph.output(STEP_IO.newKey(l), kv.key);
    graph.output(STEP_IO.newValue(l), kv.value);
  });
  return graph;
}

/** The new tokens' additive mask [B, 1, G·S, S]: key j is hidden from query i when j > i or j is padding. */
function newTokenBias(newCol: Tensor, newLengths: Tensor, G: number, GS: string): Tensor {
  const future = g.cast(g.greater(g.reshape(newCol, [1, 'S']), g.reshape(newCol, ['S', 1])), 'float32'); // [S, S] key j > query i
  const padding = g.cast(g.less(g.reshape(newCol, [1, 'S']), g.reshape(newLengths, ['B', 1])), 'float32'); // [B, S] key j real
  const newMasked = g.add(g.reshape(future, [1, 'S', 'S']), g.reshape(g.sub(1, padding), ['B', 1, 'S'])); // [B, S, S] > 0: masked
  return g.mul(stackGroups(g.reshape(newMasked, ['B', 1, 1, 'S', 'S']), G, GS), MASKED); // [B, 1, G·S, S]
}

/** [B, 1, 1, S, S] → [B, 1, G·S, S]: the same mask for each of the G query heads stacked along time. */
function stackGroups(mask: Tensor, G: number, GS: string): Tensor {
  if (G === 1) return g.reshape(mask, ['B', 1, 'S', 'S']);
  return g.reshape(g.expand(mask, ['B', 1, G, 'S', 'S']), ['B', 1, GS, 'S']);
}
