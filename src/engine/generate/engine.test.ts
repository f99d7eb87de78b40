import { afterAll, describe, expect, it } from 'vitest';
import { StepDecoder, emitStepModel } from './step-decoder.js';
import { GenerationEngine } from './engine.js';
import type { GenerateOptionsInput } from './options.js';
import { argmax } from './sampler.js';
import { gqaMicro, referenceLogits, testWeights } from './test-models.js';
import type { GenerationStream } from './token-stream.js';

const cfg = gqaMicro;
const { weights } = testWeights(cfg, 3);
const decoder = await StepDecoder.create(cfg, weights, { threads: 1 });
const engines: GenerationEngine[] = [];
const engine = (opts: ConstructorParameters<typeof GenerationEngine>[1] = {}): GenerationEngine => {
  const e = new GenerationEngine(decoder, opts);
  engines.push(e);
  return e;
};
afterAll(async () => {
  for (const e of engines) await e.close();
});

const prompts = { a: [1, 2, 3, 4, 5], b: [9, 8], c: [30, 31, 32, 33, 34, 35, 36, 37] };

async function collect(s: GenerationStream): Promise<number[]> {
  const ids: number[] = [];
  for await (const t of s) ids.push(t.id);
  return ids;
}

async function alone(prompt: number[], opts: GenerateOptionsInput): Promise<number[]> {
  return (await engine().generate(prompt, opts).result).tokens;
}

describe('GenerationEngine', () => {
  it('greedy output equals the argmax of llamaForward over prompt + output (no cache)', async () => {
    const e = engine();
    const out = (await e.generate(prompts.a, { temperature: 0, maxTokens: 10 }).result).tokens;
    const ref = await referenceLogits(cfg, weights, [...prompts.a, ...out]);
    const V = cfg.vocabSize;
    const want = out.map((_, i) => argmax(ref.subarray((prompts.a.length - 1 + i) * V, (prompts.a.length + i) * V)));
    expect(out).toEqual(want);
    expect(new Set(out).size).toBeGreaterThan(1); // a real sequence, not one repeated token
    expect(e.stats.greedySteps).toBe(e.stats.steps); // every decode step took the graph's argmax
    expect(e.stats.steps).toBe(9);
  });

  it('continuous batching: sequences that join mid-way produce the tokens they produce alone', async () => {
    const greedy = { temperature: 0, maxTokens: 12 };
    const sampled = { temperature: 1, topP: 0.95, seed: 42, maxTokens: 9 };
    const wantA = await alone(prompts.a, greedy);
    const wantB = await alone(prompts.b, greedy);
    const wantC = await alone(prompts.c, sampled);

    const e = engine({ maxBatch: 4 });
    const a = e.generate(prompts.a, greedy);
    const gotA: number[] = [];
    let b: GenerationStream | null = null;
    let c: GenerationStream | null = null;
    for await (const t of a) {
      gotA.push(t.id);
      if (t.index === 3) b = e.generate(prompts.b, greedy); // joins after A's 4th token
      if (t.index === 6) c = e.generate(prompts.c, sampled);
    }
    const [gotB, gotC] = await Promise.all([collect(b!), collect(c!)]);
    expect(gotA).toEqual(wantA);
    expect(gotB).toEqual(wantB);
    expect(gotC).toEqual(wantC);
    // They really shared steps: fewer decode steps than tokens.
    console.log(`continuous batching: ${e.stats.tokens} tokens in ${e.stats.steps} decode steps, ${e.stats.greedySteps} of them greedy in the graph`);
    expect(e.stats.steps).toBeLessThan(e.stats.tokens - 3);
    // A and B took the graph's argmax until C (sampled) joined, and logits while it ran: same tokens either way.
    expect(e.stats.greedySteps).toBeGreaterThan(0);
    expect(e.stats.greedySteps).toBeLessThan(e.stats.steps);
  });

  it('greedy rows with penalties or log-probabilities read the logits: the graph\'s argmax would ignore them', async () => {
    const plain = await alone(prompts.c, { temperature: 0, maxTokens: 12 });
    const e = engine();
    const penalized = (await e.generate(prompts.c, { temperature: 0, maxTokens: 12, repetitionPenalty: 5 }).result).tokens;
    const scored = await e.generate(prompts.c, { temperature: 0, maxTokens: 12, logprobs: true }).result;
    expect(e.stats.steps).toBe(22);
    expect(e.stats.greedySteps).toBe(0);
    expect(penalized).not.toEqual(plain);
    expect(scored.tokens).toEqual(plain);
    expect(scored.logprobs).toHaveLength(12);
  });

  it('a batch wider than maxBatch queues the rest and still matches', async () => {
    const opts = { temperature: 0.8, seed: 5, maxTokens: 6 };
    const all = [prompts.a, prompts.b, prompts.c, [7], [40, 41, 42]];
    const want = await Promise.all(all.map((p) => alone(p, opts)));
    const e = engine({ maxBatch: 2 });
    const got = await Promise.all(all.map((p) => e.generate(p, opts).result.then((r) => r.tokens)));
    expect(got).toEqual(want);
  });

  it('stops on a token sequence, cutting it from the output', async () => {
    const out = await alone(prompts.c, { temperature: 0, maxTokens: 10 });
    const r = await engine().generate(prompts.c, { temperature: 0, maxTokens: 10, stop: [out.slice(4, 6)] }).result;
    const first = out.findIndex((_, i) => out[i] === out[4] && out[i + 1] === out[5]); // the stop may occur before index 4
    expect(r.finishReason).toBe('stop');
    expect(r.tokens).toEqual(out.slice(0, first));
  });

  it('stops on text through detokenize; streamed text never contains the stop string', async () => {
    let calls = 0;
    const detokenize = (ids: readonly number[]): string => (calls++, ids.map((i) => String.fromCharCode(65 + (i % 26))).join(''));
    const out = await alone(prompts.b, { temperature: 0, maxTokens: 10 });
    const full = detokenize(out);
    const stop = full.slice(5, 7);
    const e = engine({ detokenize });
    calls = 0;
    const s = e.generate(prompts.b, { temperature: 0, maxTokens: 10, stopText: [stop] });
    let streamed = '';
    for await (const t of s) streamed += t.text;
    const r = await s.result;
    expect(r.finishReason).toBe('stop');
    expect(r.text).toBe(full.slice(0, full.indexOf(stop)));
    expect(streamed.includes(stop)).toBe(false);
    expect(r.text!.startsWith(streamed)).toBe(true);
    expect(calls).toBe(e.stats.tokens); // once per accepted token: streaming and the stop check share it
  });

  it('honours maxTokens, the context limit, cancel, and returns logprobs per token', async () => {
    const r = await engine().generate(prompts.a, { maxTokens: 7, seed: 1, logprobs: true, topLogprobs: 3 }).result;
    expect(r.finishReason).toBe('length');
    expect(r.tokens).toHaveLength(7);
    expect(r.logprobs).toHaveLength(7);
    for (const [i, lp] of r.logprobs!.entries()) {
      expect(lp.logprob).toBeLessThan(0);
      expect(lp.top![0]!.logprob).toBeGreaterThanOrEqual(lp.logprob);
      expect(lp.top!.length).toBe(3);
      expect(r.tokens[i]).toBeGreaterThanOrEqual(0);
    }
    // maxSeqLen 48: a prompt of 45 leaves room for 4 tokens (the last from position 47).
    const long = Array.from({ length: 45 }, (_, i) => i % cfg.vocabSize);
    const lim = await engine().generate(long, { maxTokens: 20 }).result;
    expect(lim.finishReason).toBe('length');
    expect(lim.tokens).toHaveLength(cfg.maxSeqLen - long.length + 1);

    const s = engine().generate(prompts.c, { maxTokens: 40 });
    let n = 0;
    for await (const _ of s) if (++n === 2) s.cancel();
    const c = await s.result;
    expect(c.finishReason).toBe('cancelled');
    expect(c.tokens.length).toBeLessThan(40);
  });

  it('an ONNX Runtime failure rejects the streams in flight, and the engine keeps serving', async () => {
    // A config that claims more positions than the model's RoPE table holds: position 50 fails in Gather.
    const wrong = await StepDecoder.fromModel({ ...cfg, maxSeqLen: 100 }, emitStepModel(cfg, weights), { threads: 1 });
    const e = new GenerationEngine(wrong);
    engines.push(e);
    const bad = e.generate(Array.from({ length: 60 }, (_, i) => i % cfg.vocabSize), { maxTokens: 2 });
    await expect(bad.result).rejects.toThrow();
    await expect(collect(bad)).rejects.toThrow();
    const ok = await e.generate(prompts.a, { temperature: 0, maxTokens: 3 }).result;
    expect(ok.tokens).toEqual((await alone(prompts.a, { temperature: 0, maxTokens: 3 })));
  });

  it('serves requests that arrive after it went idle, and right as a stream finishes', async () => {
    const e = engine();
    const first = await e.generate(prompts.a, { temperature: 0, maxTokens: 3 }).result;
    const second = await e.generate(prompts.a, { temperature: 0, maxTokens: 3 }).result; // the loop had ended
    expect(second.tokens).toEqual(first.tokens);
    const chained = await e.generate(prompts.b, { maxTokens: 2 }).result.then(() => e.generate(prompts.c, { maxTokens: 2 }).result);
    expect(chained.tokens).toHaveLength(2);
    expect(e.load).toEqual({ pending: 0, running: 0 });
  });

  it('rejects bad requests with errors that say what to do', () => {
    const e = engine();
    expect(() => e.generate([], {})).toThrow(/prompt is empty/);
    expect(() => e.generate([cfg.vocabSize], {})).toThrow(/outside the vocabulary/);
    expect(() => e.generate([1], { topP: 2 })).toThrow(/topP must be in \(0, 1\]/);
    expect(() => e.generate(new Array(cfg.maxSeqLen + 1).fill(1), {})).toThrow(/shorten it/);
    expect(() => e.generate([1], { stopText: ['x'] })).toThrow(/needs a detokenize function/);
  });
});
