/**
 * What choosing the next token costs on the host, per sequence per step: the Sampler (src/engine/generate)
 * over real logits rows, for the settings servers see most. Serving pays it once per row of every
 * decode step, beside the step itself, except in a batch of plain greedy rows, whose tokens the step graph
 * picks (BatchDecoder.stepGreedy): `greedy` here is what greedy costs with penalties or logprobs beside it. The bench's models are random-init, so their logits are flat: the
 * worst case for top-p, whose nucleus then holds most of the vocabulary (a trained model's is small).
 */
import { parseGenerateOptions, type GenerateOptionsInput } from '../../src/engine/generate/options.js';
import { Sampler } from '../../src/engine/generate/sampler.js';

const SAMPLING_SETTINGS: Record<string, GenerateOptionsInput> = {
  greedy: { temperature: 0 },
  t1: {}, // OpenAI's defaults: temperature 1, no truncation
  top_p: { temperature: 0.7, topP: 0.9 },
  logprobs: { temperature: 0, logprobs: true, topLogprobs: 5 },
};

/** Microseconds per row for each setting: best of `rounds` passes over `rows` logits rows of `vocab` each. */
export function samplingCostUs(logits: Float32Array, vocab: number, rounds: number): Record<string, number> {
  const rows = logits.length / vocab;
  const out: Record<string, number> = {};
  for (const [name, input] of Object.entries(SAMPLING_SETTINGS)) {
    const opts = parseGenerateOptions(input);
    const samplers = Array.from({ length: rows }, (_, r) => new Sampler({ ...opts, seed: r }, vocab, [1, 2, 3]));
    const pass = (): number => {
      const t0 = performance.now();
      for (let r = 0; r < rows; r++) samplers[r]!.sample(logits.subarray(r * vocab, (r + 1) * vocab));
      return ((performance.now() - t0) * 1000) / rows;
    };
    for (let i = 0; i < 3; i++) pass(); // warm-up: the JIT
    let best = Infinity;
    for (let i = 0; i < rounds * 4; i++) best = Math.min(best, pass());
    out[name] = best;
  }
  return out;
}
