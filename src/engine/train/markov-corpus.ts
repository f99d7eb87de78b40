/**
 * A generated corpus with learnable structure, for tests and benchmarks: a seeded first-order Markov
 * chain over `states` token ids, each with `branching` possible successors of geometric weights
 * (1, ½, ¼, …). A model that learns the chain reaches the conditional entropy H(next | current), far below
 * the unigram entropy H(token) that a model blind to context is stuck at; both are returned, in nats.
 */
import { Xoshiro128 } from '../data/prng.js';

export interface MarkovCorpus {
  tokens: Uint32Array;
  /** Entropy of the empirical token distribution (nats): the best loss without context. */
  unigramEntropy: number;
  /** H(next | current) of the chain (nats; the same for every state): the best loss with context. */
  conditionalEntropy: number;
}

/** Generates `length` tokens with ids in [0, states). */
export function markovCorpus(options: { seed: number; length: number; states: number; branching: number }): MarkovCorpus {
  const { seed, length, states: S, branching: K } = options;
  if (!(K >= 1 && K <= S && length >= 2)) throw new Error(`markovCorpus: need 1 ≤ branching ≤ states and length ≥ 2, got branching=${K}, states=${S}, length=${length}`);
  const rng = Xoshiro128.fromSeed(seed);
  const weights = Array.from({ length: K }, (_, i) => 2 ** -i);
  const total = weights.reduce((a, b) => a + b, 0);
  const probs = weights.map((w) => w / total);
  const rowEntropy = -probs.reduce((h, p) => h + p * Math.log(p), 0);
  // Successors of each state: K distinct ids, drawn uniformly.
  const next = Array.from({ length: S }, () => {
    const picked = new Set<number>();
    while (picked.size < K) picked.add(rng.nextBelow(S));
    return [...picked];
  });
  const tokens = new Uint32Array(length);
  const counts = new Float64Array(S);
  let s = rng.nextBelow(S);
  for (let i = 0; i < length; i++) {
    tokens[i] = s;
    counts[s]!++;
    let u = rng.nextFloat();
    let j = 0;
    while (j < K - 1 && u >= probs[j]!) u -= probs[j++]!;
    s = next[s]![j]!;
  }
  const unigramEntropy = -Array.from(counts).reduce((h, c) => (c > 0 ? h + (c / length) * Math.log(c / length) : h), 0);
  return { tokens, unigramEntropy, conditionalEntropy: rowEntropy };
}
