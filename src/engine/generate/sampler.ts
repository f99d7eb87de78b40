/**
 * Picks the next token from one row of logits [V], per sequence, in Hugging Face's order:
 * penalties (repetition, frequency, presence) → temperature → top-k → top-p → min-p → draw.
 * Runs in JS over one row, O(V) (top-p included: nucleus.ts selects its cut instead of sorting).
 *
 * Log-probabilities are those of the model after the penalties (log-softmax of the penalized logits),
 * before temperature and truncation, so they do not depend on how the token was drawn.
 */
import { Xoshiro128 } from '../data/prng.js';
import { softmaxExp } from './fast-exp.js';
import { nucleus } from './nucleus.js';
import type { GenerateOptions } from './options.js';

export interface TokenLogprob {
  id: number;
  logprob: number;
}

export interface TokenChoice {
  id: number;
  /** Present when options.logprobs or topLogprobs > 0. */
  logprob?: number;
  /** The topLogprobs most likely tokens, most likely first. */
  top?: TokenLogprob[];
}

type SamplingOptions = Pick<
  GenerateOptions,
  'temperature' | 'topK' | 'topP' | 'minP' | 'repetitionPenalty' | 'frequencyPenalty' | 'presencePenalty' | 'seed' | 'logprobs' | 'topLogprobs'
>;

export class Sampler {
  private readonly rng: Xoshiro128;
  /** Tokens of the prompt and the output (for the repetition penalty). */
  private readonly seen: Set<number>;
  /** How often each token was generated (frequency and presence penalties). */
  private readonly counts = new Map<number, number>();
  /** Scratch rows of V, made on first use: a greedy sequence without penalties never needs them. */
  private work: Float32Array | null = null;
  private probs: Float64Array | null = null;
  private keep: Int32Array | null = null;

  constructor(
    readonly opts: SamplingOptions,
    readonly vocabSize: number,
    prompt: readonly number[] = [],
  ) {
    this.rng = Xoshiro128.fromSeed(opts.seed);
    this.seen = new Set(prompt);
  }

  /**
   * Whether the choice is the argmax of the raw logits and nothing else is read from them (greedy, no
   * penalties, no log-probabilities): then the step graph's own argmax (BatchDecoder.stepGreedy) can
   * stand in for sample(), and `take` records its token.
   */
  get plainGreedy(): boolean {
    const o = this.opts;
    return this.greedy && !this.penalized && !o.logprobs && o.topLogprobs === 0;
  }

  /** Chooses the next token from logits [V] and records it as generated. */
  sample(logits: Float32Array): TokenChoice {
    const V = this.vocabSize;
    if (logits.length !== V) throw new Error(`sampler: expected ${V} logits, got ${logits.length}`);
    // Only the penalties write to the row, so without them it is read where it lies.
    const x = this.penalized ? this.penalize(logits) : logits;
    const o = this.opts;
    const choice: TokenChoice = this.take(this.greedy ? argmax(x) : this.draw(x));
    if (o.logprobs || o.topLogprobs > 0) {
      const lse = logSumExp(x);
      choice.logprob = x[choice.id]! - lse;
      if (o.topLogprobs > 0) choice.top = Array.from(topIndices(x, o.topLogprobs), (t) => ({ id: t, logprob: x[t]! - lse }));
    }
    return choice;
  }

  /** Records `id` as generated (for the penalties) when it was chosen without sample(), as by a greedy step. */
  take(id: number): TokenChoice {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) throw new Error(`sampler: token id ${id} is outside the vocabulary [0, ${this.vocabSize})`);
    this.seen.add(id);
    this.counts.set(id, (this.counts.get(id) ?? 0) + 1);
    return { id };
  }

  /** Temperature 0 or top-k 1: the choice is the argmax. */
  private get greedy(): boolean {
    return this.opts.temperature === 0 || this.opts.topK === 1;
  }

  private get penalized(): boolean {
    const { repetitionPenalty: rp, frequencyPenalty: fp, presencePenalty: pp } = this.opts;
    return rp !== 1 || fp !== 0 || pp !== 0;
  }

  /** The logits with the penalties applied, in the sampler's own buffer. */
  private penalize(logits: Float32Array): Float32Array {
    const x = (this.work ??= new Float32Array(this.vocabSize));
    x.set(logits);
    const { repetitionPenalty: rp, frequencyPenalty: fp, presencePenalty: pp } = this.opts;
    if (rp !== 1) for (const t of this.seen) x[t] = x[t]! > 0 ? x[t]! / rp : x[t]! * rp;
    if (fp !== 0 || pp !== 0) for (const [t, c] of this.counts) x[t] = x[t]! - c * fp - pp;
    return x;
  }

  /** Temperature, top-k, top-p, min-p, then one uniform draw over what is kept. */
  private draw(x: Float32Array): number {
    const { temperature: T, topK, topP, minP } = this.opts;
    const V = this.vocabSize;
    const keep = (this.keep ??= new Int32Array(V));
    const p = (this.probs ??= new Float64Array(V));
    // top-k: keep logits ≥ the k-th largest (ties kept, as Hugging Face does). Without it every token
    // is kept and p is indexed by token id directly (no `keep` indirection) until a truncation needs it.
    let n = V;
    let all = true;
    if (topK > 0 && topK < V) {
      const kth = x[topIndices(x, topK)[topK - 1]!]!;
      n = 0;
      for (let i = 0; i < V; i++) if (x[i]! >= kth) keep[n++] = i;
      all = false;
    }
    // Softmax of x / T over the kept tokens (unnormalized; `total` is their mass). A NaN logit gets p = 0.
    const invT = 1 / T;
    let max = -Infinity;
    let total = 0;
    if (all) {
      for (let i = 0; i < V; i++) if (x[i]! > max) max = x[i]!;
      for (let i = 0; i < V; i++) total += p[i] = softmaxExp((x[i]! - max) * invT);
    } else {
      for (let j = 0; j < n; j++) if (x[keep[j]!]! > max) max = x[keep[j]!]!;
      for (let j = 0; j < n; j++) total += p[j] = softmaxExp((x[keep[j]!]! - max) * invT);
    }
    if (all && (topP < 1 || minP > 0)) {
      for (let i = 0; i < V; i++) keep[i] = i;
      all = false;
    }
    if (topP < 1) [n, total] = nucleus(keep, p, n, total, topP);
    if (minP > 0) {
      // The top token has p = 1 (x = max); keep p ≥ minP × 1. The order of kept tokens is preserved.
      let m = 0;
      total = 0;
      for (let j = 0; j < n; j++) {
        if (p[j]! < minP) continue;
        keep[m] = keep[j]!;
        total += p[m++] = p[j]!;
      }
      n = m;
    }
    let u = this.rng.nextFloat() * total;
    for (let j = 0; j < n; j++) if ((u -= p[j]!) < 0) return all ? j : keep[j]!;
    return all ? n - 1 : keep[n - 1]!; // rounding: u landed on the total
  }
}

/** Index of the largest value (the first at ties). */
export function argmax(x: Float32Array): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i]! > x[best]!) best = i;
  return best;
}

/** log Σ exp(x), computed stably in float64. */
export function logSumExp(x: Float32Array): number {
  let max = -Infinity;
  for (let i = 0; i < x.length; i++) max = Math.max(max, x[i]!);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += softmaxExp(x[i]! - max);
  return max + Math.log(s);
}

/** The indices of the k largest values, largest first (earlier index first at ties). O(V·k) worst case, O(V) typical. */
export function topIndices(x: Float32Array, k: number): Int32Array {
  const n = Math.min(k, x.length);
  const idx = new Int32Array(n);
  let size = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (size === n && v <= x[idx[n - 1]!]!) continue;
    let j = size < n ? size++ : n - 1;
    while (j > 0 && x[idx[j - 1]!]! < v) (idx[j] = idx[j - 1]!), j--;
    idx[j] = i;
  }
  return idx;
}
