/**
 * The part of an inference decoder that does not depend on how the KV cache is kept: token embedding,
 * L pre-norm blocks (RMSNorm, Q/K/V projections, RoPE at each token's own position, attention, output
 * projection, SwiGLU MLP) and the final RMSNorm. Attention is a hook, because the two decoder graphs
 * keep their cache differently: the export graph (decoder-graph.ts) concatenates past and new keys,
 * the step graph (step-graph.ts) attends over a read-only cache plus the new keys.
 * Blocks mirror nn/llama.ts (same params, same LinearFn hook, same RoPE angles), so logits equal llamaForward's.
 */
import type { Graph } from '../graph/graph.js';
import * as g from '../graph/ops.js';
import type { Tensor } from '../graph/tensor.js';
import { type LinearFn, type LlamaParams, llamaParamSpecs } from '../nn/llama.js';
import { rmsNorm } from '../nn/norm.js';
import type { LlamaConfig } from '../nn/presets.js';

/**
 * Attention of layer `layer`: q [B, NH, S, HS], k and v [B, NKV, S, HS] for the S new tokens (q and k
 * rotated) → [B, NH, S, HS], the attended values per query head.
 */
export type AttendFn = (layer: number, q: Tensor, k: Tensor, v: Tensor) => Tensor;

export interface TrunkInputs {
  inputIds: Tensor; // [B, S] int64
  positionIds: Tensor; // [B, S] int64
}

/** Hidden states after the last block and the final norm: [B, S, C]. */
export function llamaTrunk(cfg: LlamaConfig, p: LlamaParams, io: TrunkInputs, linear: LinearFn, attend: AttendFn): Tensor {
  const { hidden: C, heads: NH, kvHeads: NKV, normEps: eps } = cfg;
  const HS = C / NH;
  const [B, S] = io.inputIds.shape;
  // RoPE at each token's own position (sequences of a batch sit at different positions), as the fused
  // ONNX op: 2 nodes per layer instead of 10 (split, concat, mul, mul, add for q and k).
  const { cos, sin } = ropeCaches(io.inputIds.graph, cfg.maxSeqLen, HS, cfg.ropeTheta); // [maxSeqLen, HS/2]
  const rope = (t: Tensor): Tensor => g.rotaryEmbedding(t, cos, sin, io.positionIds); // [B, n, S, HS]
  const heads = (t: Tensor, n: number): Tensor => g.transpose(g.reshape(t, [B!, S!, n, HS]), [0, 2, 1, 3]); // [B, n, S, HS]

  let x = g.gather(p.embed!, io.inputIds); // [B, S, C]
  for (let l = 0; l < cfg.layers; l++) {
    const w = (k: string): Tensor => p[`layers.${l}.${k}`]!;
    const lin = (t: Tensor, k: string): Tensor => linear(t, `layers.${l}.${k}`);
    const h = rmsNorm(x, w('attn_norm'), eps); // [B, S, C]
    const q = rope(heads(lin(h, 'wq'), NH)); // [B, NH, S, HS]
    const k = rope(heads(lin(h, 'wk'), NKV)); // [B, NKV, S, HS]
    const v = heads(lin(h, 'wv'), NKV); // [B, NKV, S, HS]
    const y = g.reshape(g.transpose(attend(l, q, k, v), [0, 2, 1, 3]), [B!, S!, C]); // [B, S, C]
    x = g.add(x, lin(y, 'wo')); // [B, S, C]
    const hm = rmsNorm(x, w('mlp_norm'), eps); // [B, S, C]
    x = g.add(x, lin(g.mul(g.silu(lin(hm, 'w_gate')), lin(hm, 'w_up')), 'w_down')); // [B, S, C]  SwiGLU
  }
  return rmsNorm(x, p.norm!, eps); // [B, S, C]
}

/**
 * RotaryEmbedding's caches [M, HS/2]: cos(t·θ_i) and sin(t·θ_i) with θ_i = theta^(−2i/HS), the angles
 * of nn/rope.ts (Hugging Face Llama), once each instead of repeated over the two halves.
 */
function ropeCaches(graph: Graph, M: number, HS: number, theta: number): { cos: Tensor; sin: Tensor } {
  const half = HS / 2;
  const cos = new Float32Array(M * half);
  const sin = new Float32Array(M * half);
  for (let t = 0; t < M; t++)
    for (let i = 0; i < half; i++) {
      const a = t * Math.pow(theta, (-2 * i) / HS);
      cos[t * half + i] = Math.cos(a);
      sin[t * half + i] = Math.sin(a);
    }
  return { cos: graph.constant(cos, [M, half]), sin: graph.constant(sin, [M, half]) };
}

/** llamaParamSpecs as graph params, each declared when first read (so a quantized LinearFn leaves the float matrices out). */
export function lazyParams(graph: Graph, cfg: LlamaConfig): LlamaParams {
  const p: LlamaParams = {};
  for (const s of llamaParamSpecs(cfg)) {
    let t: Tensor | undefined;
    Object.defineProperty(p, s.name, { enumerable: true, get: () => (t ??= graph.param(s.name, s.shape)) });
  }
  return p;
}
