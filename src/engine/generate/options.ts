/**
 * Generation options (OpenAI / Hugging Face vocabulary), validated by one zod schema with messages
 * that say what range is allowed.
 */
import { z } from 'zod';

const tokenSeq = z.array(z.number().int().nonnegative('token ids must be ≥ 0')).min(1, 'a stop sequence needs at least one token');

export const generateOptionsSchema = z
  .object({
    /** Most tokens to generate (the prompt not included). */
    maxTokens: z.number().int('maxTokens must be an integer').positive('maxTokens must be ≥ 1').default(16),
    /** 0 = greedy (argmax); > 0 divides the logits before sampling. */
    temperature: z.number().min(0, 'temperature must be ≥ 0 (0 = greedy)').max(100, 'temperature must be ≤ 100').default(1),
    /** Keep the k most likely tokens; 0 = off. */
    topK: z.number().int('topK must be an integer').min(0, 'topK must be ≥ 0 (0 = off)').default(0),
    /** Nucleus sampling: the smallest set of most likely tokens with probability ≥ topP; 1 = off. */
    topP: z.number().gt(0, 'topP must be in (0, 1]').max(1, 'topP must be in (0, 1]').default(1),
    /** Drop tokens less likely than minP × the top token's probability; 0 = off. */
    minP: z.number().min(0, 'minP must be in [0, 1)').lt(1, 'minP must be in [0, 1)').default(0),
    /** CTRL / Hugging Face: logits of tokens seen (prompt and output) divided by it when > 0, multiplied when < 0; 1 = off. */
    repetitionPenalty: z.number().gt(0, 'repetitionPenalty must be > 0 (1 = off)').default(1),
    /** OpenAI: logit −= frequencyPenalty × (times the token was generated). */
    frequencyPenalty: z.number().min(-2, 'frequencyPenalty must be in [-2, 2]').max(2, 'frequencyPenalty must be in [-2, 2]').default(0),
    /** OpenAI: logit −= presencePenalty once the token was generated at all. */
    presencePenalty: z.number().min(-2, 'presencePenalty must be in [-2, 2]').max(2, 'presencePenalty must be in [-2, 2]').default(0),
    /** Stop when the output ends with one of these token sequences (not included in the output). */
    stop: z.array(tokenSeq).default([]),
    /** Stop when the detokenized output contains one of these strings (needs `detokenize`; cut from the text). */
    stopText: z.array(z.string().min(1, 'a stop string must not be empty')).default([]),
    /** Seed of the sampler's PRNG (xoshiro128**); the same seed, prompt and options give the same output. */
    seed: z.number().int('seed must be an integer').nonnegative('seed must be ≥ 0').max(Number.MAX_SAFE_INTEGER).default(0),
    /** Return the chosen token's log-probability. */
    logprobs: z.boolean().default(false),
    /** Also return the n most likely alternatives with their log-probabilities (0..20). */
    topLogprobs: z.number().int('topLogprobs must be an integer').min(0, 'topLogprobs must be in [0, 20]').max(20, 'topLogprobs must be in [0, 20]').default(0),
  })
  .strict();

export type GenerateOptions = z.output<typeof generateOptionsSchema>;
export type GenerateOptionsInput = z.input<typeof generateOptionsSchema>;

/** Validates options; throws an Error naming each bad field, e.g. "topP: topP must be in (0, 1]". */
export function parseGenerateOptions(input: GenerateOptionsInput = {}): GenerateOptions {
  const r = generateOptionsSchema.safeParse(input);
  if (!r.success) throw new Error(`generate options: ${r.error.issues.map((i) => `${i.path.join('.') || '(options)'}: ${i.message}`).join('; ')}`);
  return r.data;
}
