import { randomUUID } from 'node:crypto';
import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenBatch } from '../data/batch-sampler.js';
import { evalBatches } from '../data/eval-batches.js';
import { TokenShardReader } from '../data/token-shard-reader.js';
import { writeTokenShard } from '../data/token-shard-writer.js';
import { SafetensorsFile } from '../formats/safetensors.js';
import { preset } from '../nn/presets.js';
import { ADAMW_DEFAULTS } from '../optim/adamw.js';
import { markovCorpus } from './markov-corpus.js';
import { NonFiniteLossError } from './non-finite.js';
import { Trainer } from './trainer.js';

const nano = preset('nano');
const noDecay = { ...ADAMW_DEFAULTS, weightDecay: 0 };
let dir: string;
const readers: TokenShardReader[] = [];

beforeAll(async () => {
  dir = join(tmpdir(), `test-${randomUUID()}`);
  await mkdir(dir, { recursive: true });
});
afterAll(async () => {
  for (const r of readers) r.close();
  await rm(dir, { recursive: true, force: true });
});

async function shard(tokens: ArrayLike<number>): Promise<TokenShardReader> {
  const path = join(dir, `${randomUUID()}.tok`);
  await writeTokenShard(path, tokens, { vocabSize: nano.vocabSize });
  const r = TokenShardReader.open(path);
  readers.push(r);
  return r;
}

/** A Markov-chain shard shared by the tests that only need some learnable data. */
let chain: TokenShardReader;
beforeAll(async () => {
  chain = await shard(markovCorpus({ seed: 1, length: 20_000, states: 64, branching: 4 }).tokens);
});

const rel = (a: number, b: number): number => Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b));

describe('Trainer', () => {
  it('nano overfits one fixed batch: loss < 0.05 within 300 steps', async () => {
    const [B, T] = [4, 32];
    const trainer = await Trainer.create(nano, { batch: B, seqLen: T, seed: 0, adamw: noDecay, schedule: { kind: 'constant', lr: 3e-3, warmupSteps: 5 } });
    const corpus = markovCorpus({ seed: 9, length: B * T + 1, states: nano.vocabSize, branching: 8 }).tokens;
    const batch: TokenBatch = { inputs: Int32Array.from(corpus.subarray(0, B * T)), targets: Int32Array.from(corpus.subarray(1)) };
    let r = await trainer.step(batch);
    const first = r.loss;
    while (r.step < 300 && r.loss >= 0.05) r = await trainer.step(batch);
    console.log(`overfit: loss ${first.toFixed(3)} → ${r.loss.toFixed(4)} at step ${r.step} (< 0.05 needed within 300), ${Math.round(r.tokensPerSecond)} tokens/s`);
    expect(first).toBeCloseTo(Math.log(nano.vocabSize), 0);
    expect(r.loss).toBeLessThan(0.05);
  });

  it('learns a Markov chain: validation loss falls well below the unigram entropy', async () => {
    const [B, T, steps] = [8, 32, 100];
    const corpus = markovCorpus({ seed: 2, length: 40_000, states: 64, branching: 4 });
    const train = await shard(corpus.tokens.subarray(0, 36_000));
    const val = await shard(corpus.tokens.subarray(36_000));
    const trainer = await Trainer.create(nano, { batch: B, seqLen: T, shards: [train], seed: 1, schedule: { lr: 3e-3, warmupSteps: 10, totalSteps: steps, minLr: 3e-4 } });
    const before = await trainer.evaluate(evalBatches([val], { batch: B, seqLen: T }));
    let last;
    for (let i = 0; i < steps; i++) last = await trainer.step();
    const after = await trainer.evaluate(evalBatches([val], { batch: B, seqLen: T }));
    console.log(
      `markov: val loss ${before.loss.toFixed(3)} → ${after.loss.toFixed(3)} nats (perplexity ${after.perplexity.toFixed(2)}, ${after.targets} targets) after ${steps} steps; ` +
        `unigram entropy ${corpus.unigramEntropy.toFixed(3)}, chain's conditional entropy ${corpus.conditionalEntropy.toFixed(3)} (the floor); last train loss ${last!.loss.toFixed(3)}`,
    );
    expect(after.loss).toBeLessThan(corpus.unigramEntropy - 1.5);
    expect(after.loss).toBeGreaterThan(corpus.conditionalEntropy - 0.05); // cannot beat the chain itself
    expect(after.perplexity).toBeCloseTo(Math.exp(after.loss), 6);
  });

  it('same seed ⇒ identical losses; another seed ⇒ other losses', async () => {
    const run = async (seed: number): Promise<number[]> => {
      const t = await Trainer.create(nano, { batch: 4, seqLen: 32, shards: [chain], seed, schedule: { kind: 'constant', lr: 1e-3 } });
      const losses: number[] = [];
      for (let i = 0; i < 5; i++) losses.push((await t.step()).loss);
      return losses;
    };
    const [a, b, c] = [await run(7), await run(7), await run(8)];
    console.log(`seed 7: ${a.map((x) => x.toFixed(6)).join(' ')}; again: identical ${JSON.stringify(a) === JSON.stringify(b)}; seed 8: ${c.map((x) => x.toFixed(6)).join(' ')}`);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  it('gradient accumulation 4 × B/4 matches one step of B within 1e-5 relative', async () => {
    const opts = { batch: 8, seqLen: 32, shards: [chain], seed: 3, schedule: { kind: 'constant' as const, lr: 1e-3 } };
    const one = await Trainer.create(nano, opts);
    const four = await Trainer.create(nano, { ...opts, microBatches: 4 });
    let worst = 0;
    for (let i = 0; i < 3; i++) {
      const [a, b] = [await one.step(), await four.step()];
      const [dl, dg] = [rel(a.loss, b.loss), rel(a.gradNorm, b.gradNorm)];
      console.log(`step ${a.step}: loss ${a.loss.toFixed(7)} vs ${b.loss.toFixed(7)} (rel ${dl.toExponential(1)}), grad norm ${a.gradNorm.toFixed(7)} vs ${b.gradNorm.toFixed(7)} (rel ${dg.toExponential(1)})`);
      worst = Math.max(worst, dl, dg);
    }
    // Parameters after 3 updates, relative to the size of the total update (‖Δ₁ − Δ₄‖∞ / ‖Δ₁‖∞ would over-weight
    // AdamW's ≈ lr·sign(g) steps on near-zero gradients, so the L2 norm is used).
    const start = (await Trainer.create(nano, opts)).params;
    let num = 0;
    let den = 0;
    for (let i = 0; i < start.length; i++) {
      num += (one.params[i]! - four.params[i]!) ** 2;
      den += (one.params[i]! - start[i]!) ** 2;
    }
    const dp = Math.sqrt(num / den);
    console.log(`maxdiff ${worst.toExponential(1)} ≤ tol 1e-5 (loss and grad norm, relative); parameters ‖Δ₁ − Δ₄‖ / ‖Δ₁‖ = ${dp.toExponential(1)}`);
    expect(worst).toBeLessThanOrEqual(1e-5);
    expect(dp).toBeLessThanOrEqual(1e-3);
  });

  it('a run stopped at step 50 and resumed from its checkpoint matches steps 51–70 within 1e-6 relative', async () => {
    const opts = { batch: 4, seqLen: 32, shards: [chain], seed: 5, schedule: { lr: 2e-3, warmupSteps: 10, totalSteps: 70, minLr: 2e-4 } };
    const ckpt = join(dir, `ckpt-${randomUUID()}`, 'step-000050');
    await mkdir(join(ckpt, '..'));
    const uninterrupted = await Trainer.create(nano, opts);
    const expected: { loss: number; lr: number }[] = [];
    for (let i = 0; i < 70; i++) {
      const r = await uninterrupted.step();
      if (r.step === 50) await uninterrupted.saveCheckpoint(ckpt);
      if (r.step > 50) expected.push(r);
    }
    const resumed = await Trainer.resume(ckpt, { shards: [chain] });
    let worst = 0;
    for (const e of expected) {
      const r = await resumed.step();
      expect(r.lr).toBe(e.lr);
      worst = Math.max(worst, rel(r.loss, e.loss));
    }
    console.log(`resume: steps 51–70 loss ${expected[0]!.loss.toFixed(6)} … ${expected[19]!.loss.toFixed(6)}; maxdiff ${worst.toExponential(1)} ≤ tol 1e-6 (relative)`);
    expect(worst).toBeLessThanOrEqual(1e-6);
    expect(Buffer.from(resumed.params.buffer).equals(Buffer.from(uninterrupted.params.buffer))).toBe(true);
    expect(resumed.counters).toEqual(uninterrupted.counters);

    // The checkpoint: HF-named weights in HF layout, both moments, state.json; never overwritten.
    expect((await readdir(ckpt)).sort()).toEqual(['model.safetensors', 'optimizer.safetensors', 'state.json']);
    expect((await readdir(join(ckpt, '..'))).filter((f) => f.includes('.tmp-'))).toEqual([]);
    const model = await SafetensorsFile.open(join(ckpt, 'model.safetensors'));
    const q = model.tensors.find((t) => t.name === 'model.layers.0.self_attn.q_proj.weight');
    expect(model.names).toContain('lm_head.weight');
    expect(q?.shape).toEqual([nano.hidden, nano.hidden]);
    expect(model.tensors.find((t) => t.name === 'model.layers.0.mlp.up_proj.weight')?.shape).toEqual([nano.ffn, nano.hidden]); // [out, in]
    await model.close();
    const moments = await SafetensorsFile.open(join(ckpt, 'optimizer.safetensors'));
    expect(moments.names).toContain('model.embed_tokens.weight.exp_avg');
    expect(moments.names).toContain('model.embed_tokens.weight.exp_avg_sq');
    await moments.close();
    const state = JSON.parse(await readFile(join(ckpt, 'state.json'), 'utf8'));
    expect(state).toMatchObject({ step: 50, optimizerStep: 50, seed: 5, shape: { batch: 4, seqLen: 32, microBatches: 1 }, sampler: { step: 50 } });
    await expect(uninterrupted.saveCheckpoint(ckpt)).rejects.toThrow(/already exists; checkpoints are never overwritten/);
    await expect(Trainer.resume(ckpt)).rejects.toThrow(/pass them as options.shards/);
  });

  it('skips and counts non-finite steps, and aborts after N in a row with a clear error', async () => {
    const [B, T] = [2, 16];
    const trainer = await Trainer.create(nano, { batch: B, seqLen: T, seed: 0, maxNonFiniteInARow: 3, schedule: { kind: 'constant', lr: 1e-3 } });
    const good: TokenBatch = { inputs: Int32Array.from({ length: B * T }, (_, i) => i % 50), targets: Int32Array.from({ length: B * T }, (_, i) => (i + 1) % 50) };
    const poisoned: TokenBatch = { inputs: good.inputs, targets: new Int32Array(B * T).fill(-100) }; // nothing to score: 0/0
    const seen = [];
    for (const b of [poisoned, poisoned, good, poisoned, poisoned]) seen.push(await trainer.step(b));
    console.log(`non-finite: ${seen.map((r) => `step ${r.step} loss ${r.loss} ${r.skipped ? 'skipped' : 'applied'}`).join(', ')}`);
    expect(seen.map((r) => r.skipped)).toEqual([true, true, false, true, true]);
    expect(trainer.counters).toMatchObject({ step: 5, optimizerStep: 1, skippedSteps: 4, nonFiniteInARow: 2 });
    const err = await trainer.step(poisoned).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NonFiniteLossError);
    expect((err as NonFiniteLossError).code).toBe('non_finite_loss');
    expect((err as Error).message).toMatch(/^loss was NaN\/Inf for 3 steps in a row at step 6; lower the learning rate or check the data/);
    console.log(`error: ${(err as Error).message}`);

    // A learning rate far too large diverges the model itself: the run aborts within a few steps.
    const wild = await Trainer.create(nano, { batch: B, seqLen: T, seed: 0, schedule: { kind: 'constant', lr: 1e30 } });
    const diverged = await (async () => {
      for (let i = 0; i < 20; i++) await wild.step(good);
    })().catch((e: unknown) => e);
    console.log(`lr 1e30: ${(diverged as Error).message}`);
    expect(diverged).toBeInstanceOf(NonFiniteLossError);
  });

  it('refuses bad shapes and ids with messages that say what to do', async () => {
    await expect(Trainer.create(nano, { batch: 6, seqLen: 16, microBatches: 4, schedule: { kind: 'constant', lr: 1e-3 } })).rejects.toThrow(/batch 6 must be divisible by microBatches 4/);
    const t = await Trainer.create(nano, { batch: 2, seqLen: 16, schedule: { kind: 'constant', lr: 1e-3 } });
    await expect(t.step()).rejects.toThrow(/no batch given, and the trainer has no shards/);
    const inputs = new Int32Array(32).fill(nano.vocabSize);
    await expect(t.step({ inputs, targets: new Int32Array(32) })).rejects.toThrow(/inputs\[0\] = 512 is not a token id in \[0, 512\)/);
    await expect(t.step({ inputs: new Int32Array(30), targets: new Int32Array(30) })).rejects.toThrow(/expected inputs and targets of B·T = 2·16 = 32 ids, got 30/);
  });
});
