import { describe, expect, it } from 'vitest';
import { type GenerateOptionsInput, parseGenerateOptions } from './options.js';
import { Sampler, argmax, logSumExp } from './sampler.js';

const sampler = (o: GenerateOptionsInput, V: number, prompt: number[] = []): Sampler => new Sampler(parseGenerateOptions(o), V, prompt);
const logitsOf = (probs: number[]): Float32Array => Float32Array.from(probs, Math.log);

/** Token frequencies over n draws from fresh logits each time (a stateless option set). */
function frequencies(o: GenerateOptionsInput, logits: Float32Array, n: number): number[] {
  const s = sampler(o, logits.length);
  const counts = new Array<number>(logits.length).fill(0);
  for (let i = 0; i < n; i++) counts[s.sample(logits).id]!++;
  return counts.map((c) => c / n);
}

function randomLogits(V: number, seed: number): Float32Array {
  let x = seed;
  return Float32Array.from({ length: V }, () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 8 - 4);
}

describe('sampler', () => {
  it('top-k = 1 and temperature 0 are greedy (argmax)', () => {
    for (let seed = 0; seed < 20; seed++) {
      const x = randomLogits(97, seed);
      expect(sampler({ topK: 1, temperature: 1.5, seed }, 97).sample(x).id).toBe(argmax(x));
      expect(sampler({ temperature: 0, seed }, 97).sample(x).id).toBe(argmax(x));
    }
  });

  it('plainGreedy only where the argmax of the raw logits is all a choice needs', () => {
    expect(sampler({ temperature: 0 }, 4).plainGreedy).toBe(true);
    expect(sampler({ topK: 1, temperature: 0.7 }, 4).plainGreedy).toBe(true);
    for (const o of [{ temperature: 1 }, { temperature: 0, repetitionPenalty: 1.1 }, { temperature: 0, frequencyPenalty: 0.1 }, { temperature: 0, presencePenalty: 0.1 }, { temperature: 0, logprobs: true }, { temperature: 0, topLogprobs: 2 }])
      expect(sampler(o, 4).plainGreedy, JSON.stringify(o)).toBe(false);
  });

  it('take records a token chosen elsewhere as sample does (for the penalties), and checks its range', () => {
    const x = Float32Array.of(3, 2.9, 0, 0);
    const s = sampler({ temperature: 0, frequencyPenalty: 0.3, presencePenalty: 0.5 }, 4);
    expect(s.take(0)).toEqual({ id: 0 });
    expect(s.sample(x).id).toBe(1); // x0 = 3 − 0.3 − 0.5 = 2.2 < 2.9
    expect(() => s.take(4)).toThrow(/token id 4 is outside the vocabulary \[0, 4\)/);
    expect(() => s.take(1.5)).toThrow(/outside the vocabulary/);
  });

  it('leaves the caller\'s logits as they were, with penalties or without', () => {
    const x = Float32Array.of(2, -1, 0.5, 0.1);
    for (const o of [{ temperature: 0, repetitionPenalty: 2 }, { temperature: 0.8, topP: 0.9, seed: 1, logprobs: true }]) {
      sampler(o, 4, [0, 1]).sample(x);
      expect(Array.from(x)).toEqual([2, -1, 0.5, Math.fround(0.1)]);
    }
  });

  it('is reproducible by seed, and different seeds give different draws', () => {
    const x = randomLogits(50, 3).map((v) => v / 4); // flat enough that draws vary
    const draws = (seed: number): number[] => {
      const s = sampler({ seed, temperature: 1 }, 50);
      return Array.from({ length: 40 }, () => s.sample(x).id);
    };
    expect(draws(7)).toEqual(draws(7));
    expect(draws(7)).not.toEqual(draws(8));
  });

  it('samples softmax(x / T): empirical frequencies match within 0.02', () => {
    const x = Float32Array.of(1, 0.5, 0, -1);
    for (const T of [1, 0.5]) {
      const z = Array.from(x, (v) => Math.exp(v / T));
      const want = z.map((v) => v / z.reduce((a, b) => a + b));
      const got = frequencies({ temperature: T, seed: 11 }, x, 20_000);
      const err = Math.max(...got.map((g, i) => Math.abs(g - want[i]!)));
      console.log(`maxdiff ${err.toExponential(1)} ≤ tol 2e-2 (frequencies vs softmax(x/${T}))`);
      expect(err).toBeLessThanOrEqual(0.02);
    }
  });

  it('top-k keeps the k most likely tokens, renormalized', () => {
    const probs = [0.1, 0.4, 0.2, 0.3];
    const got = frequencies({ topK: 2, seed: 1 }, logitsOf(probs), 10_000);
    expect(got[0]).toBe(0);
    expect(got[2]).toBe(0);
    expect(Math.abs(got[1]! - 4 / 7)).toBeLessThan(0.02);
  });

  it('top-p keeps the smallest most-likely set with mass ≥ p', () => {
    const x = logitsOf([0.5, 0.3, 0.15, 0.05]);
    const kept = (topP: number): number[] => frequencies({ topP, seed: 2 }, x, 4000).flatMap((f, i) => (f > 0 ? [i] : []));
    expect(kept(0.4)).toEqual([0]);
    expect(kept(0.75)).toEqual([0, 1]);
    expect(kept(0.9)).toEqual([0, 1, 2]);
    expect(kept(1)).toEqual([0, 1, 2, 3]);
    const f = frequencies({ topP: 0.75, seed: 2 }, x, 10_000);
    expect(Math.abs(f[0]! - 0.5 / 0.8)).toBeLessThan(0.02); // renormalized over the nucleus
  });

  it('min-p drops tokens below minP × the top probability', () => {
    const x = logitsOf([0.5, 0.3, 0.15, 0.05]);
    const kept = (minP: number): number[] => frequencies({ minP, seed: 3 }, x, 4000).flatMap((f, i) => (f > 0 ? [i] : []));
    expect(kept(0.35)).toEqual([0, 1]); // threshold 0.175
    expect(kept(0.2)).toEqual([0, 1, 2]); // threshold 0.1
  });

  it('repetition penalty divides positive and multiplies negative logits of seen tokens (prompt included)', () => {
    const x = Float32Array.of(2, -1, 0.5, 0.1);
    const s = sampler({ temperature: 0, repetitionPenalty: 2, topLogprobs: 4 }, 4, [0, 1]);
    const c = s.sample(x);
    const pen = Float32Array.of(1, -2, 0.5, 0.1);
    const lse = logSumExp(pen);
    for (const t of c.top!) expect(t.logprob).toBeCloseTo(pen[t.id]! - lse, 6);
    // A strong penalty moves the argmax off the repeated token.
    expect(sampler({ temperature: 0, repetitionPenalty: 8 }, 4, [0]).sample(x).id).toBe(2);
  });

  it('frequency and presence penalties subtract count·f + p for generated tokens', () => {
    const x = Float32Array.of(3, 2.9, 0, 0);
    const s = sampler({ temperature: 0, frequencyPenalty: 0.3, presencePenalty: 0.5, logprobs: true, topLogprobs: 4 }, 4);
    expect(s.sample(x).id).toBe(0); // x0 = 3
    expect(s.sample(x).id).toBe(1); // x0 = 3 − 0.3 − 0.5 = 2.2 < 2.9
    const c = s.sample(x); // x0 = 2.2, x1 = 2.9 − 0.3 − 0.5 = 2.1
    const pen = Float32Array.of(2.2, 2.1, 0, 0);
    expect(c.id).toBe(0);
    expect(c.logprob!).toBeCloseTo(pen[0]! - logSumExp(pen), 6);
    expect(s.sample(x).id).toBe(1); // x0 = 3 − 2·0.3 − 0.5 = 1.9 < 2.1
    // Prompt tokens are not counted by the OpenAI penalties.
    expect(sampler({ temperature: 0, presencePenalty: 2 }, 4, [0]).sample(x).id).toBe(0);
  });

  it('log-probabilities are normalized; top alternatives come most likely first and include the chosen one', () => {
    const V = 64;
    const x = randomLogits(V, 5);
    const c = sampler({ seed: 4, logprobs: true, topLogprobs: 20 }, V).sample(x);
    const all = sampler({ temperature: 0, topLogprobs: 20 }, V);
    const sumAll = Array.from(x, (v) => Math.exp(v - logSumExp(x))).reduce((a, b) => a + b);
    expect(sumAll).toBeCloseTo(1, 6);
    const top = all.sample(x).top!;
    expect(top).toHaveLength(20);
    for (let i = 1; i < top.length; i++) expect(top[i]!.logprob).toBeLessThanOrEqual(top[i - 1]!.logprob);
    expect(top[0]!.id).toBe(argmax(x));
    expect(c.logprob!).toBeCloseTo(x[c.id]! - logSumExp(x), 5);
    expect(c.logprob!).toBeLessThan(0);
  });

  it('rejects bad options with a message that names the range', () => {
    expect(() => parseGenerateOptions({ topP: 0 })).toThrow(/topP: topP must be in \(0, 1\]/);
    expect(() => parseGenerateOptions({ topP: 1.5 })).toThrow(/topP must be in \(0, 1\]/);
    expect(() => parseGenerateOptions({ temperature: -1 })).toThrow(/temperature must be ≥ 0/);
    expect(() => parseGenerateOptions({ minP: 1 })).toThrow(/minP must be in \[0, 1\)/);
    expect(() => parseGenerateOptions({ topK: 1.5 })).toThrow(/topK must be an integer/);
    expect(() => parseGenerateOptions({ maxTokens: 0 })).toThrow(/maxTokens must be ≥ 1/);
    expect(() => parseGenerateOptions({ stop: [[]] })).toThrow(/stop sequence needs at least one token/);
    expect(() => parseGenerateOptions({ top_p: 0.5 } as GenerateOptionsInput)).toThrow(/top_p/);
  });
});
