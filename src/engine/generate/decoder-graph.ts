/**
 * The Llama decoder for inference, with a KV cache, as graph code. Its interface is the ONNX export
 * contract (the one Hugging Face's ONNX exports and onnxruntime-genai use):
 *
 *   input_ids [B, S] int64, attention_mask [B, P+S] int64 (1 = real token, 0 = padding),
 *   position_ids [B, S] int64, past_key_values.N.key|value [B, NKV, P, HS]
 *   → logits [B, S, V] (or [B, 1, V] with logits: 'last'), present.N.key|value [B, NKV, P+S, HS]
 *
 * B, S and P are named dims, so one session serves prefill (P = 0) and every decode step (S = 1).
 * present = concat(past, new) along time; the caller feeds it back as the next step's past.
 * Blocks mirror nn/llama.ts (same params, same LinearFn hook, same RoPE angles), so logits equal llamaForward's.
 */
import { Graph } from '../graph/graph.js';
import * as g from '../graph/ops.js';
import type { Tensor } from '../graph/tensor.js';
import { type LinearFn, type LlamaParams, plainLinear } from '../nn/llama.js';
import type { LlamaConfig } from '../nn/presets.js';
import { lazyParams, llamaTrunk } from './decoder-trunk.js';

/** The export contract's value names. */
export const DECODER_IO = {
  inputIds: 'input_ids',
  attentionMask: 'attention_mask',
  positionIds: 'position_ids',
  logits: 'logits',
  pastKey: (l: number): string => `past_key_values.${l}.key`,
  pastValue: (l: number): string => `past_key_values.${l}.value`,
  presentKey: (l: number): string => `present.${l}.key`,
  presentValue: (l: number): string => `present.${l}.value`,
} as const;

/** The symbolic inputs of one decoder call. */
export interface DecoderInputs {
  inputIds: Tensor; // [B, S] int64
  attentionMask: Tensor; // [B, P+S] int64
  positionIds: Tensor; // [B, S] int64
  past: { key: Tensor; value: Tensor }[]; // per layer, [B, NKV, P, HS]
}

export interface DecoderOutputs {
  logits: Tensor; // [B, S, V] or [B, 1, V]
  present: { key: Tensor; value: Tensor }[]; // per layer, [B, NKV, P+S, HS]
}

export interface DecoderForwardOptions {
  /** Every linear layer goes through it (quantized weights, LoRA); default plainLinear(cfg, p). */
  linear?: LinearFn;
  /** 'all': logits for every position (the export contract); 'last': only the last one ([B, 1, V]). */
  logits?: 'all' | 'last';
}

/** Additive attention bias [B, 1, 1, S, P+S]: 0 where a query may look, −1e9 for the future and padding. */
function attentionBias(mask: Tensor, inputIds: Tensor): Tensor {
  // Query i (of S) sits at cache column P+i; it may read column j iff j ≤ P+i, i.e. counted from the end,
  // (P+S−1−j) ≥ (S−1−i). Counting from the end needs no run-time P.
  const keyFromEnd = g.reshape(g.arange(mask, 1, true), [1, -1]); // [1, P+S]
  const queryFromEnd = g.reshape(g.arange(inputIds, 1, true), [-1, 1]); // [S, 1]
  const future = g.cast(g.less(keyFromEnd, queryFromEnd), 'float32'); // [S, P+S]
  const [B, PS] = mask.shape;
  const padding = g.reshape(g.cast(g.equal(mask, 0), 'float32'), [B!, 1, PS!]); // [B, 1, P+S]
  // NOTE: −1e9, not −∞: a padding query whose keys are all hidden gets a uniform softmax, never NaN.
  const bias = g.mul(g.add(future, padding), -1e9); // [B, S, P+S]
  const S = inputIds.shape[1]!;
  return g.reshape(bias, [B!, 1, 1, S, PS!]); // [B, 1, 1, S, P+S]
}

/**
 * One decoder call over new tokens and the cache so far. Mirrors llamaForward block by block.
 * @example const { logits, present } = llamaDecoderForward(cfg, p, inputs, { logits: 'last' });
 */
export function llamaDecoderForward(cfg: LlamaConfig, p: LlamaParams, io: DecoderInputs, opts: DecoderForwardOptions = {}): DecoderOutputs {
  const { hidden: C, heads: NH, kvHeads: NKV } = cfg;
  const HS = C / NH;
  const G = NH / NKV; // query heads per KV head
  const [B, S] = io.inputIds.shape;
  if (io.past.length !== cfg.layers) throw new Error(`decoder: expected past for ${cfg.layers} layers, got ${io.past.length}`);
  const graph = io.inputIds.graph;
  const linear = opts.linear ?? plainLinear(cfg, p);
  const bias = attentionBias(io.attentionMask, io.inputIds); // [B, 1, 1, S, P+S]
  const present: DecoderOutputs['present'] = [];
  const attend = (l: number, q: Tensor, kNew: Tensor, vNew: Tensor): Tensor => {
    const k = g.concat([io.past[l]!.key, kNew], 2); // [B, NKV, P+S, HS]
    const v = g.concat([io.past[l]!.value, vNew], 2); // [B, NKV, P+S, HS]
    present.push({ key: k, value: v });
    const T = k.shape[2]!; // P+S
    // Grouped-query attention as repeat_kv: query head h = kv·G + j reads KV head kv.
    // NOTE: ONNX Attention (opset 23, with past_key/past_value) computes the same in one node, but measured
    // slower on `tiny` at P=256 (b32 step 318 vs 256 ms, b8 102 vs 91 ms) and no faster at P=32.
    const qg = g.reshape(g.mul(q, 1 / Math.sqrt(HS)), [B!, NKV, G, S!, HS]); // [B, NKV, G, S, HS], pre-scaled
    const kT = g.transpose(g.reshape(k, [B!, NKV, 1, T, HS]), [0, 1, 2, 4, 3]); // [B, NKV, 1, HS, P+S]
    const scores = g.add(g.matmul(qg, kT), bias); // [B, NKV, G, S, P+S]
    const att = g.matmul(g.softmax(scores, -1), g.reshape(v, [B!, NKV, 1, T, HS])); // [B, NKV, G, S, HS]
    return g.reshape(att, [B!, NH, S!, HS]); // [B, NH, S, HS]
  };
  let xf = llamaTrunk(cfg, p, { inputIds: io.inputIds, positionIds: io.positionIds }, linear, attend); // [B, S, C]
  if (opts.logits === 'last') {
    // NOTE: prompts are left-padded, so the last position is every sequence's newest token.
    const last = g.gather(g.transpose(xf, [1, 0, 2]), graph.scalar(-1, 'int64')); // [B, C]
    xf = g.reshape(last, [B!, 1, C]); // [B, 1, C]
  }
  return { logits: linear(xf, 'lm_head'), present }; // [B, S|1, V]
}

/** Builds the LinearFn for a decoder graph's params (quantized or LoRA linears declare their own params here). */
export type LinearFactory = (p: LlamaParams, graph: Graph) => LinearFn;

export interface DecoderGraphOptions {
  linear?: LinearFactory;
  logits?: 'all' | 'last';
}

export interface DecoderGraph {
  graph: Graph;
  cfg: LlamaConfig;
  logits: 'all' | 'last';
}

/**
 * The whole inference graph with the export contract's names. Parameters are declared on first use,
 * so a LinearFn that brings its own weights (int8, int4) leaves the float matrices out of the model.
 */
export function buildDecoderGraph(cfg: LlamaConfig, opts: DecoderGraphOptions = {}): DecoderGraph {
  const graph = new Graph('llama-decoder');
  const HS = cfg.hidden / cfg.heads;
  const inputIds = graph.input(DECODER_IO.inputIds, ['B', 'S'], 'int64');
  const attentionMask = graph.input(DECODER_IO.attentionMask, ['B', 'P+S'], 'int64');
  const positionIds = graph.input(DECODER_IO.positionIds, ['B', 'S'], 'int64');
  const past = Array.from({ length: cfg.layers }, (_, l) => ({
    key: graph.input(DECODER_IO.pastKey(l), ['B', cfg.kvHeads, 'P', HS]),
    value: graph.input(DECODER_IO.pastValue(l), ['B', cfg.kvHeads, 'P', HS]),
  }));
  const p = lazyParams(graph, cfg);
  const logits = opts.logits ?? 'all';
  const out = llamaDecoderForward(cfg, p, { inputIds, attentionMask, positionIds, past }, { linear: opts.linear?.(p, graph), logits });
  graph.output(DECODER_IO.logits, out.logits);
  out.present.forEach((kv, l) => {
    graph.output(DECODER_IO.presentKey(l), kv.key);
    graph.output(DECODER_IO.presentValue(l), kv.value);
  });
  return { graph, cfg, logits };
}
