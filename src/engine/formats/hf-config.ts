/**
 * Hugging Face `config.json` for LlamaForCausalLM ⇄ LlamaConfig. Import accepts only what Crucible's
 * Llama computes exactly (SiLU SwiGLU, no biases, plain RoPE, head_dim = hidden/heads) and refuses the
 * rest with a message naming the field, rather than loading a model that would compute something else.
 */
import { FormatError } from './format-error.js';
import { parseLlamaConfig, type LlamaConfig } from '../nn/presets.js';
import type { SpecialTokenIds } from './tokenizer-json.js';

/** The dtypes Hugging Face folders are written in (config.json's torch_dtype). */
export type HfDtype = 'float32' | 'float16' | 'bfloat16';

/** config.json for a LlamaForCausalLM with this shape. */
export function hfConfigJson(cfg: LlamaConfig, dtype: HfDtype, special: SpecialTokenIds): Record<string, unknown> {
  return {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    hidden_size: cfg.hidden,
    intermediate_size: cfg.ffn,
    num_hidden_layers: cfg.layers,
    num_attention_heads: cfg.heads,
    num_key_value_heads: cfg.kvHeads,
    head_dim: cfg.hidden / cfg.heads,
    hidden_act: 'silu',
    max_position_embeddings: cfg.maxSeqLen,
    rms_norm_eps: cfg.normEps,
    rope_theta: cfg.ropeTheta,
    rope_scaling: null,
    vocab_size: cfg.vocabSize,
    tie_word_embeddings: cfg.tiedEmbeddings,
    attention_bias: false,
    attention_dropout: 0,
    mlp_bias: false,
    initializer_range: 0.02,
    pretraining_tp: 1,
    use_cache: true,
    torch_dtype: dtype,
    bos_token_id: special.bos ?? null,
    eos_token_id: special.eos ?? null,
    pad_token_id: special.pad ?? null,
  };
}

/** Reads a LlamaForCausalLM config.json into a LlamaConfig, refusing what the engine cannot compute. */
export function llamaConfigFromHf(input: unknown, source = 'config.json', options: { maxSeqLen?: number } = {}): LlamaConfig {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new FormatError('bad_header', `${source}: must be a JSON object`);
  const c = input as Record<string, unknown>;
  const refuse = (what: string): never => {
    throw new FormatError('bad_input', `${source}: ${what}`);
  };
  const archs = Array.isArray(c.architectures) ? c.architectures : [];
  if (c.model_type !== 'llama' && !archs.includes('LlamaForCausalLM')) {
    refuse(`model_type ${JSON.stringify(c.model_type)} (architectures ${JSON.stringify(archs)}) is not a Llama; only LlamaForCausalLM checkpoints can be imported`);
  }
  if (c.rope_scaling !== undefined && c.rope_scaling !== null) {
    refuse(`rope_scaling ${JSON.stringify(c.rope_scaling)} is not supported (Crucible's RoPE is unscaled); use a checkpoint without rope_scaling`);
  }
  const act = c.hidden_act ?? c.hidden_activation ?? 'silu';
  if (act !== 'silu') refuse(`hidden_act "${String(act)}" is not supported; Crucible's MLP is SwiGLU with SiLU`);
  if (c.attention_bias === true) refuse('attention_bias is true; Crucible\'s attention has no biases');
  if (c.mlp_bias === true) refuse('mlp_bias is true; Crucible\'s MLP has no biases');
  const int = (key: string, fallback?: number): number => {
    const v = c[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) refuse(`"${key}" must be a positive integer, got ${JSON.stringify(c[key])}`);
    return v as number;
  };
  const num = (key: string, fallback: number): number => {
    const v = c[key] ?? fallback;
    if (typeof v !== 'number' || !(v > 0)) refuse(`"${key}" must be a positive number, got ${JSON.stringify(c[key])}`);
    return v as number;
  };
  const hidden = int('hidden_size');
  const heads = int('num_attention_heads');
  if (c.head_dim !== undefined && c.head_dim !== null && c.head_dim !== hidden / heads) {
    refuse(`head_dim ${String(c.head_dim)} differs from hidden_size / num_attention_heads = ${hidden / heads}; Crucible needs head_dim = hidden/heads`);
  }
  const maxPositions = int('max_position_embeddings', 2048);
  const cfg = {
    vocabSize: int('vocab_size'),
    hidden,
    layers: int('num_hidden_layers'),
    heads,
    kvHeads: int('num_key_value_heads', heads),
    ffn: int('intermediate_size'),
    maxSeqLen: options.maxSeqLen === undefined ? maxPositions : Math.min(options.maxSeqLen, maxPositions),
    ropeTheta: num('rope_theta', 10_000),
    normEps: num('rms_norm_eps', 1e-6), // transformers' LlamaConfig default
    tiedEmbeddings: c.tie_word_embeddings === true,
  };
  try {
    return parseLlamaConfig(cfg);
  } catch (err) {
    return refuse(`the shape is not a valid Llama config (${(err as Error).message})`);
  }
}
