/**
 * Llama-style model shapes: the config type, its schema, the named presets and an exact parameter count.
 *
 * Vocabulary: V vocab, C hidden (channels), L layers, NH query heads, KV key/value heads, HS head size
 * (C / NH), F SwiGLU hidden size. No biases anywhere (as in Llama).
 */
import { z } from 'zod';

/** The shape of a Llama-style decoder. */
export interface LlamaConfig {
  vocabSize: number; // V
  hidden: number; // C
  layers: number; // L
  heads: number; // NH
  kvHeads: number; // KV (grouped-query attention when KV < NH)
  ffn: number; // F, the SwiGLU hidden size
  maxSeqLen: number; // longest sequence the RoPE tables cover
  ropeTheta: number; // RoPE base frequency
  normEps: number; // RMSNorm epsilon
  tiedEmbeddings: boolean; // LM head shares the token embedding matrix
}

const positiveInt = (what: string) => z.number().int(`${what} must be an integer`).positive(`${what} must be > 0`);

/** Validates a LlamaConfig, with messages that say which dimensions disagree. */
export const llamaConfigSchema = z
  .object({
    vocabSize: positiveInt('vocabSize'),
    hidden: positiveInt('hidden'),
    layers: positiveInt('layers'),
    heads: positiveInt('heads'),
    kvHeads: positiveInt('kvHeads'),
    ffn: positiveInt('ffn'),
    maxSeqLen: positiveInt('maxSeqLen'),
    ropeTheta: z.number().positive('ropeTheta must be > 0'),
    normEps: z.number().positive('normEps must be > 0'),
    tiedEmbeddings: z.boolean(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.hidden % c.heads !== 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['heads'],
        message: `hidden (${c.hidden}) must be divisible by heads (${c.heads}): choose heads among its divisors`,
      });
      return;
    }
    if (c.heads % c.kvHeads !== 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['kvHeads'],
        message: `heads (${c.heads}) must be divisible by kvHeads (${c.kvHeads}): each KV head serves a whole group of query heads`,
      });
    }
    const headSize = c.hidden / c.heads;
    if (headSize % 2 !== 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['heads'],
        message: `head size hidden/heads = ${c.hidden}/${c.heads} = ${headSize} must be even: RoPE rotates pairs of channels`,
      });
    }
  });

/** Parses and validates a LlamaConfig; throws a ZodError listing every problem. */
export function parseLlamaConfig(input: unknown): LlamaConfig {
  return llamaConfigSchema.parse(input);
}

const common = { ropeTheta: 10_000, normEps: 1e-5 } as const;

/** Named model shapes, from a ~1M-parameter test model to a ~350M one. Counts are exact (see presets.test.ts). */
export const presets = {
  /** 922,752 parameters: for unit tests (overfits a batch in seconds). */
  nano: { vocabSize: 512, hidden: 128, layers: 4, heads: 4, kvHeads: 4, ffn: 344, maxSeqLen: 256, ...common, tiedEmbeddings: false },
  /** 10,522,880 parameters: the benchmark model. */
  tiny: { vocabSize: 8192, hidden: 256, layers: 8, heads: 8, kvHeads: 8, ffn: 688, maxSeqLen: 512, ...common, tiedEmbeddings: false },
  /** 42,082,816 parameters. */
  small: { vocabSize: 16384, hidden: 512, layers: 8, heads: 8, kvHeads: 8, ffn: 1376, maxSeqLen: 1024, ...common, tiedEmbeddings: false },
  /** 109,529,856 parameters, tied embeddings (GPT-2-small-like budget). */
  base: { vocabSize: 32000, hidden: 768, layers: 12, heads: 12, kvHeads: 12, ffn: 2048, maxSeqLen: 2048, ...common, tiedEmbeddings: true },
  /** 348,701,696 parameters, grouped-query attention (16 query heads share 8 KV heads). */
  medium: { vocabSize: 32000, hidden: 1024, layers: 24, heads: 16, kvHeads: 8, ffn: 2816, maxSeqLen: 2048, ...common, tiedEmbeddings: false },
} as const satisfies Record<string, LlamaConfig>;

export type PresetName = keyof typeof presets;

/** The config of a named preset (a fresh, mutable copy). */
export function preset(name: PresetName): LlamaConfig {
  const config = presets[name];
  if (config === undefined) {
    throw new Error(`Unknown model preset "${String(name)}": choose one of ${Object.keys(presets).join(', ')}`);
  }
  return { ...config };
}

/** Parameter counts per weight group of a config; `total` is the exact number of trainable parameters. */
export interface ParamBreakdown {
  embedding: number; // [V, C]
  attention: number; // L × (q [C, NH·HS] + k, v [C, KV·HS] + o [NH·HS, C])
  mlp: number; // L × (gate, up [C, F] + down [F, C])
  norms: number; // L × 2 × [C] + final [C]
  lmHead: number; // [C, V], 0 when tied
  total: number;
}

/** Counts parameters exactly, per group and in total. */
export function paramBreakdown(config: LlamaConfig): ParamBreakdown {
  const { vocabSize: V, hidden: C, layers: L, heads: NH, kvHeads: KV, ffn: F } = config;
  const HS = C / NH;
  const embedding = V * C;
  const attention = L * (C * NH * HS + 2 * C * KV * HS + NH * HS * C);
  const mlp = L * 3 * C * F;
  const norms = L * 2 * C + C;
  const lmHead = config.tiedEmbeddings ? 0 : C * V;
  return { embedding, attention, mlp, norms, lmHead, total: embedding + attention + mlp + norms + lmHead };
}

/** The exact number of trainable parameters of a config. @example countParams(preset('tiny')) // 10_522_880 */
export function countParams(config: LlamaConfig): number {
  return paramBreakdown(config).total;
}
