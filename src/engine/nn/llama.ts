/**
 * A Llama-style decoder as graph code: token embedding, L pre-norm blocks of grouped-query causal
 * attention (RoPE, rotate_half convention) and a SwiGLU MLP, a final RMSNorm and the LM head.
 * No biases. Linear weights are stored [in, out] (y = x @ W), i.e. transposed relative to Hugging Face's
 * nn.Linear [out, in]; `llamaParamSpecs` names the Hugging Face tensor each parameter maps to.
 */
import { Xoshiro128 } from '../data/prng.js';
import type { Graph } from '../graph/graph.js';
import * as g from '../graph/ops.js';
import type { DType } from '../graph/shape.js';
import type { Tensor } from '../graph/tensor.js';
import { causalAttention } from './attention.js';
import { crossEntropy } from './loss.js';
import { rmsNorm } from './norm.js';
import type { LlamaConfig } from './presets.js';
import { type RopeTables, applyRope, ropeTables } from './rope.js';

export interface ParamSpec {
  name: string;
  shape: number[];
  /** The Hugging Face LlamaForCausalLM tensor this maps to. */
  hfName: string;
  /** True when the HF tensor is this one transposed (linear weights). */
  hfTransposed: boolean;
  /** Weight decay applies (matrices), or not (norm scales). */
  decay: boolean;
  init: 'normal' | 'ones';
}

/** Every parameter of a config, in a fixed order (the layout of the engine's flat buffers). */
export function llamaParamSpecs(cfg: LlamaConfig): ParamSpec[] {
  const { vocabSize: V, hidden: C, heads: NH, kvHeads: NKV, ffn: F } = cfg;
  const HS = C / NH;
  const mat = (name: string, shape: number[], hfName: string): ParamSpec => ({ name, shape, hfName, hfTransposed: true, decay: true, init: 'normal' });
  const norm = (name: string, hfName: string): ParamSpec => ({ name, shape: [C], hfName, hfTransposed: false, decay: false, init: 'ones' });
  const specs: ParamSpec[] = [{ name: 'embed', shape: [V, C], hfName: 'model.embed_tokens.weight', hfTransposed: false, decay: true, init: 'normal' }];
  for (let l = 0; l < cfg.layers; l++) {
    const p = `layers.${l}`;
    const hf = `model.layers.${l}`;
    specs.push(
      norm(`${p}.attn_norm`, `${hf}.input_layernorm.weight`),
      mat(`${p}.wq`, [C, NH * HS], `${hf}.self_attn.q_proj.weight`),
      mat(`${p}.wk`, [C, NKV * HS], `${hf}.self_attn.k_proj.weight`),
      mat(`${p}.wv`, [C, NKV * HS], `${hf}.self_attn.v_proj.weight`),
      mat(`${p}.wo`, [NH * HS, C], `${hf}.self_attn.o_proj.weight`),
      norm(`${p}.mlp_norm`, `${hf}.post_attention_layernorm.weight`),
      mat(`${p}.w_gate`, [C, F], `${hf}.mlp.gate_proj.weight`),
      mat(`${p}.w_up`, [C, F], `${hf}.mlp.up_proj.weight`),
      mat(`${p}.w_down`, [F, C], `${hf}.mlp.down_proj.weight`),
    );
  }
  specs.push(norm('norm', 'model.norm.weight'));
  if (!cfg.tiedEmbeddings) specs.push(mat('lm_head', [C, V], 'lm_head.weight'));
  return specs;
}

export type LlamaParams = Record<string, Tensor>;

/** Declares every parameter as a graph param (fed at run time). */
export function declareLlamaParams(graph: Graph, cfg: LlamaConfig, dtype: DType = 'float32'): LlamaParams {
  return Object.fromEntries(llamaParamSpecs(cfg).map((s) => [s.name, graph.param(s.name, s.shape, dtype)]));
}

/**
 * Applies the linear layer `name` ('layers.3.wq', 'layers.3.w_down', 'lm_head', …) to x [..., in] → [..., out].
 * The default is x @ W with W = p[name]; LoRA adapters and quantized weights plug in here.
 */
export type LinearFn = (x: Tensor, name: string) => Tensor;

/** The names of a block's linear layers, as `LinearFn` receives them after `layers.N.`. */
export const LLAMA_LINEARS = ['wq', 'wk', 'wv', 'wo', 'w_gate', 'w_up', 'w_down'] as const;

export interface LlamaForwardOptions {
  rope?: RopeTables;
  linear?: LinearFn;
}

/** x @ p[name] for every linear layer; with tied embeddings, `lm_head` is x @ embedᵀ. */
export function plainLinear(cfg: LlamaConfig, p: LlamaParams): LinearFn {
  return (x, name) => {
    if (name === 'lm_head' && cfg.tiedEmbeddings) return g.matmul(x, g.transpose(p.embed!));
    const w = p[name];
    if (!w) throw new Error(`llama: no parameter ${name} for a linear layer`);
    return g.matmul(x, w);
  };
}

/** Logits [B*T, V] for int tokens [B, T] (T fixed, ≤ maxSeqLen). */
export function llamaForward(cfg: LlamaConfig, p: LlamaParams, tokens: Tensor, opts: LlamaForwardOptions = {}): Tensor {
  const [B, T] = tokens.shape as [number | string, number];
  const { hidden: C, heads: NH, kvHeads: NKV, normEps: eps } = cfg;
  const HS = C / NH;
  if (typeof T !== 'number' || T > cfg.maxSeqLen) throw new Error(`llama: T must be fixed and ≤ maxSeqLen ${cfg.maxSeqLen}, got ${T}`);
  const embed = p.embed!;
  const tables = opts.rope ?? ropeTables(tokens.graph, T, HS, cfg.ropeTheta, embed.dtype);
  const linear = opts.linear ?? plainLinear(cfg, p);
  const heads = (t: Tensor, n: number): Tensor => g.transpose(g.reshape(t, [B, T, n, HS]), [0, 2, 1, 3]); // [B, n, T, HS]

  let x = g.gather(embed, tokens); // [B, T, C]
  for (let l = 0; l < cfg.layers; l++) {
    const w = (k: string): Tensor => p[`layers.${l}.${k}`]!;
    const lin = (t: Tensor, k: string): Tensor => linear(t, `layers.${l}.${k}`);
    const h = rmsNorm(x, w('attn_norm'), eps); // [B, T, C]
    const q = applyRope(heads(lin(h, 'wq'), NH), tables); // [B, NH, T, HS]
    const k = applyRope(heads(lin(h, 'wk'), NKV), tables); // [B, NKV, T, HS]
    const v = heads(lin(h, 'wv'), NKV); // [B, NKV, T, HS]
    const y = g.reshape(g.transpose(causalAttention(q, k, v), [0, 2, 1, 3]), [B, T, NH * HS]); // [B, T, C]
    x = g.add(x, lin(y, 'wo')); // [B, T, C]
    const hm = rmsNorm(x, w('mlp_norm'), eps); // [B, T, C]
    x = g.add(x, lin(g.mul(g.silu(lin(hm, 'w_gate')), lin(hm, 'w_up')), 'w_down')); // [B, T, C]  SwiGLU
  }
  const xf = g.reshape(rmsNorm(x, p.norm!, eps), [-1, C]); // [B*T, C]
  return linear(xf, 'lm_head'); // [B*T, V]
}

/** Mean next-token cross-entropy; targets [B, T] int, −100 = ignored. */
export function llamaLoss(cfg: LlamaConfig, p: LlamaParams, tokens: Tensor, targets: Tensor, opts: LlamaForwardOptions = {}): Tensor {
  return crossEntropy(llamaForward(cfg, p, tokens, opts), g.reshape(targets, [-1]));
}

/**
 * Fills a flat buffer laid out as llamaParamSpecs: N(0, std²) for matrices, 1 for norm scales.
 * `out` (of the right length) is filled in place, so a caller that owns the buffer holds no second copy.
 */
export function initLlamaParams(cfg: LlamaConfig, seed = 0, std = 0.02, out?: Float32Array): Float32Array {
  const specs = llamaParamSpecs(cfg);
  const total = specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
  if (out && out.length !== total) throw new Error(`initLlamaParams: out has ${out.length} values, the model has ${total}`);
  out ??= new Float32Array(total);
  const rng = Xoshiro128.fromSeed(seed);
  const uniform = (): number => rng.nextFloat();
  let at = 0;
  for (const spec of specs) {
    const n = spec.shape.reduce((a, b) => a * b, 1);
    for (let i = 0; i < n; i++)
      out[at + i] = spec.init === 'ones' ? 1 : std * Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
    at += n;
  }
  return out;
}
