/**
 * LoRA adapters (Hu et al., 2021) on a frozen Llama base, as a `LinearFn`:
 *
 *   y = base(x) + (alpha / r) · (dropout(x) @ A) @ B        A [in, r], B [r, out]
 *
 * The base is any other `LinearFn` (plain float weights, or a quantized one for QLoRA), so this file
 * knows nothing of how the base stores its weights. All adapter parameters of a model live in one
 * flat Float32Array laid out as `loraParamSpecs` (per layer, per target in LLAMA_LINEARS order, A then B).
 *
 * Init follows PEFT's defaults: A ~ kaiming-uniform(a=√5) on its [r, in] weight, i.e. U(±1/√in), or
 * N(0, 1/r²) for 'gaussian'; B = 0, so a fresh adapter leaves the base's outputs unchanged.
 */
import { z } from 'zod';
import { Xoshiro128 } from '../data/prng.js';
import * as g from '../graph/ops.js';
import type { Tensor } from '../graph/tensor.js';
import { LLAMA_LINEARS, type LinearFn, llamaParamSpecs } from './llama.js';
import type { LlamaConfig } from './presets.js';

/** A block linear that LoRA can adapt: our names (wq … w_down). */
export type LoraTarget = (typeof LLAMA_LINEARS)[number];

/** Our linear names ↔ the Hugging Face / PEFT module names. */
export const LORA_HF_MODULES: Readonly<Record<LoraTarget, string>> = {
  wq: 'q_proj',
  wk: 'k_proj',
  wv: 'v_proj',
  wo: 'o_proj',
  w_gate: 'gate_proj',
  w_up: 'up_proj',
  w_down: 'down_proj',
};

/** Validates a LoRA config; targets are kept in LLAMA_LINEARS order, so equal sets give equal layouts. */
export const loraConfigSchema = z
  .object({
    r: z.number().int('r (the rank) must be an integer').positive('r (the rank) must be > 0'),
    alpha: z.number().positive('alpha must be > 0 (the adapter is scaled by alpha / r)'),
    dropout: z.number().min(0, 'dropout must be in [0, 1)').lt(1, 'dropout must be in [0, 1)'),
    targets: z
      .array(z.enum(LLAMA_LINEARS, { message: `a target must be one of ${LLAMA_LINEARS.join(', ')}` }))
      .min(1, `targets must name at least one of ${LLAMA_LINEARS.join(', ')}`)
      .refine((t) => new Set(t).size === t.length, 'targets must not repeat a module')
      .transform((t) => LLAMA_LINEARS.filter((n) => t.includes(n))),
    init: z.enum(['kaiming-uniform', 'gaussian']).default('kaiming-uniform'),
  })
  .strict();

export type LoraConfig = z.output<typeof loraConfigSchema>;
export type LoraConfigInput = z.input<typeof loraConfigSchema>;

/** Parses and validates a LoRA config; throws a ZodError listing every problem. */
export function parseLoraConfig(input: LoraConfigInput): LoraConfig {
  return loraConfigSchema.parse(input);
}

/** The factor alpha / r that multiplies every adapter's output. */
export const loraScale = (lora: Pick<LoraConfig, 'r' | 'alpha'>): number => lora.alpha / lora.r;

export interface LoraParamSpec {
  name: string; // 'layers.3.wq.lora_A'
  linear: string; // 'layers.3.wq': the LinearFn name it adapts
  layer: number;
  target: LoraTarget;
  kind: 'A' | 'B';
  shape: [number, number]; // A [in, r], B [r, out]
  /** The base weight it adapts, `model.layers.3.self_attn.q_proj.weight` (PEFT names derive from it). */
  hfName: string;
}

/** Every adapter tensor of a model, in flat-buffer order. */
export function loraParamSpecs(cfg: LlamaConfig, lora: LoraConfig): LoraParamSpec[] {
  const byName = new Map(llamaParamSpecs(cfg).map((s) => [s.name, s]));
  const out: LoraParamSpec[] = [];
  for (let layer = 0; layer < cfg.layers; layer++)
    for (const target of lora.targets) {
      const linear = `layers.${layer}.${target}`;
      const base = byName.get(linear)!;
      const [inDim, outDim] = base.shape as [number, number];
      out.push({ name: `${linear}.lora_A`, linear, layer, target, kind: 'A', shape: [inDim, lora.r], hfName: base.hfName });
      out.push({ name: `${linear}.lora_B`, linear, layer, target, kind: 'B', shape: [lora.r, outDim], hfName: base.hfName });
    }
  return out;
}

export const loraSpecSize = (s: LoraParamSpec): number => s.shape[0] * s.shape[1];

/** Na: the number of adapter parameters (the length of the flat adapter buffer). */
export function loraNumParams(cfg: LlamaConfig, lora: LoraConfig): number {
  return loraParamSpecs(cfg, lora).reduce((n, s) => n + loraSpecSize(s), 0);
}

/** A fresh adapter buffer [Na]: A as PEFT initialises it (seeded), B zeros. */
export function initLoraParams(cfg: LlamaConfig, lora: LoraConfig, seed = 0): Float32Array {
  const specs = loraParamSpecs(cfg, lora);
  const out = new Float32Array(specs.reduce((n, s) => n + loraSpecSize(s), 0));
  const rng = Xoshiro128.fromSeed(seed);
  let at = 0;
  for (const s of specs) {
    const n = loraSpecSize(s);
    if (s.kind === 'A') {
      const bound = 1 / Math.sqrt(s.shape[0]); // kaiming_uniform_(a=√5) over fan_in = in
      const std = 1 / lora.r;
      for (let i = 0; i < n; i++) {
        out[at + i] =
          lora.init === 'gaussian'
            ? std * Math.sqrt(-2 * Math.log(1 - rng.nextFloat())) * Math.cos(2 * Math.PI * rng.nextFloat())
            : bound * (2 * rng.nextFloat() - 1);
      }
    }
    at += n;
  }
  return out;
}

/** One adapted linear's tensors. `mask` (bool, shaped like the linear's input) is its dropout: true = kept. */
export interface LoraModule {
  a: Tensor; // [in, r]
  b: Tensor; // [r, out]
  mask?: Tensor; // [..., in] bool
}

/** Adapted linears by LinearFn name ('layers.3.wq'); linears not listed pass through to the base. */
export type LoraAdapters = Readonly<Record<string, LoraModule>>;

/** Views of a flat adapter tensor [Na] as LoraModules (their gradients flow back into the flat vector). */
export function loraAdapterViews(flat: Tensor, cfg: LlamaConfig, lora: LoraConfig): { adapters: Record<string, LoraModule>; views: Tensor[] } {
  const specs = loraParamSpecs(cfg, lora);
  const views = g.split(flat, 0, specs.map(loraSpecSize)).map((t, i) => g.reshape(t, specs[i]!.shape));
  const adapters: Record<string, LoraModule> = {};
  specs.forEach((s, i) => {
    if (s.kind === 'A') adapters[s.linear] = { a: views[i]!, b: views[i + 1]! };
  });
  return { adapters, views };
}

/**
 * Wraps a base LinearFn with LoRA adapters: base(x) + scale · dropout(x) @ A @ B for the adapted
 * linears, base(x) for the rest. Pass scale = loraScale(lora); `dropout` (p) is needed when the
 * adapters carry masks, whose kept values are scaled by 1/(1−p) (inverted dropout, as nn.Dropout).
 * @example llamaForward(cfg, p, tokens, { linear: loraLinear(plainLinear(cfg, p), adapters, { scale: loraScale(lora) }) })
 */
export function loraLinear(base: LinearFn, adapters: LoraAdapters, opts: { scale: number; dropout?: number }): LinearFn {
  return (x, name) => {
    const y = base(x, name); // [..., out]
    const m = adapters[name];
    if (!m) return y;
    if (m.mask && opts.dropout === undefined) throw new Error(`loraLinear: adapter ${name} has a dropout mask; pass opts.dropout (p) so kept values are scaled by 1/(1−p)`);
    const xd = m.mask ? g.where(m.mask, x, 0) : x; // [..., in]
    // NOTE: the scale (and dropout's 1/(1−p)) multiplies the rank-r intermediate, the smallest tensor on the path.
    const low = g.mul(g.matmul(xd, m.a), m.mask ? opts.scale / (1 - opts.dropout!) : opts.scale); // [..., r]
    return g.add(y, g.matmul(low, m.b)); // [..., out]
  };
}
