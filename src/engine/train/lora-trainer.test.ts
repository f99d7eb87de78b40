import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type SftExample, sftBatch, sftBatches } from '../data/sft.js';
import { Xoshiro128 } from '../data/prng.js';
import { loadPeftAdapter } from '../formats/peft.js';
import { initLlamaParams } from '../nn/llama.js';
import { flatLlamaBase } from '../nn/lora-base.js';
import { mergeLora } from '../nn/lora-merge.js';
import { type LlamaConfig, preset } from '../nn/presets.js';
import { LossEvaluator } from './eval-loss.js';
import { LoraTrainer } from './lora-trainer.js';

const root = await mkdtemp(join(tmpdir(), `lora-trainer-test-${randomUUID()}-`));
afterAll(() => rm(root, { recursive: true, force: true }));

/**
 * A templated instruction set with a learnable mapping: "Q a b A" → "π(a) σ(b) EOS", where a, b are
 * K "word" tokens and π, σ fixed permutations onto two other token ranges. Held-out pairs (a, b) are
 * never trained on, but each of a and b is, so only a model that learned π and σ scores them well.
 */
function instructionSet(K: number, seed: number): { train: SftExample[]; heldOut: SftExample[] } {
  const [Q, A, EOS, WORDS, OUT1, OUT2] = [1, 2, 3, 100, 1000, 2000];
  const rng = Xoshiro128.fromSeed(seed);
  const perm = (): number[] => {
    const p = Array.from({ length: K }, (_, i) => i);
    for (let i = K - 1; i > 0; i--) {
      const j = rng.nextBelow(i + 1);
      [p[i], p[j]] = [p[j]!, p[i]!];
    }
    return p;
  };
  const [pi, sigma] = [perm(), perm()];
  const all: SftExample[] = [];
  for (let a = 0; a < K; a++) for (let b = 0; b < K; b++) all.push({ prompt: [Q, WORDS + a, WORDS + b, A], completion: [OUT1 + pi[a]!, OUT2 + sigma[b]!, EOS] });
  for (let i = all.length - 1; i > 0; i--) {
    const j = rng.nextBelow(i + 1);
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  const cut = Math.floor(all.length * 0.75);
  return { train: all.slice(0, cut), heldOut: all.slice(cut) };
}

describe('LoRA trainer', () => {
  it('a LoRA fine-tune of the tiny preset lowers the held-out loss of an instruction set; the base stays bitwise identical', async () => {
    const cfg = preset('tiny'); // V 8192, C 256, L 8
    const [B, T] = [16, 8];
    const { train, heldOut } = instructionSet(16, 1);
    // NOTE: the LM head and final norm are frozen. At the usual init std 0.02 a logit can reach only
    // |h|·|w| = √C·(0.02·√C) ≈ 5 against logsumexp ≈ ln V = 9 of the rest, so no adapter could push the
    // loss below ~4; a random base drawn at std 0.05 leaves room to learn, as a pre-trained head would.
    const baseParams = initLlamaParams(cfg, 0, 0.05);
    const before = baseParams.slice();
    const trainer = await LoraTrainer.create(
      flatLlamaBase(cfg, baseParams),
      { r: 8, alpha: 16, dropout: 0.05, targets: ['wq', 'wk', 'wv', 'wo', 'w_gate', 'w_up', 'w_down'] },
      { batch: B, seqLen: T, seed: 3, schedule: { lr: 5e-3, warmupSteps: 4, totalSteps: 64, minLr: 5e-4 } },
    );
    const held = () => sftBatches(heldOut, { seqLen: T, rows: B });
    const start = await trainer.evaluate(held());
    const t0 = performance.now();
    let last;
    const batches = [...sftBatches(train, { seqLen: T, rows: B })]; // 12 batches
    for (let i = 0; i < 64; i++) last = await trainer.step(batches[i % batches.length]!);
    const end = await trainer.evaluate(held());
    const trainLoss = (await trainer.evaluate(sftBatches(train, { seqLen: T, rows: B }))).loss;
    console.log(
      `tiny LoRA fine-tune (${trainer.counters.step} steps of B=${B}, T=${T}, ${((performance.now() - t0) / 1000).toFixed(1)} s): held-out loss ${start.loss.toFixed(3)} → ${end.loss.toFixed(3)} ` +
        `over ${end.targets} completion targets (train ${trainLoss.toFixed(3)}; last step loss ${last!.loss.toFixed(3)}, grad norm ${last!.gradNorm.toFixed(3)}, lr ${last!.lr.toExponential(1)})`,
    );
    expect(start.loss).toBeGreaterThan(Math.log(cfg.vocabSize) - 0.5); // a random base knows nothing of the task
    // Below ln 16 ≈ 2.77, the loss of knowing only which 16 tokens can follow: the mapping itself was learned.
    expect(end.loss).toBeLessThan(1);
    expect(Buffer.from(baseParams.buffer).equals(Buffer.from(before.buffer))).toBe(true);

    // The trained adapter folded into the base scores the held-out set as the adapter on the base does.
    const merged = await mergeLora(cfg, trainer.lora, baseParams, trainer.adapters);
    const plain = await (await LossEvaluator.create(cfg, { batch: B, seqLen: T })).evaluate(merged, held());
    console.log(`merged model: held-out loss ${plain.loss.toFixed(5)} vs ${end.loss.toFixed(5)} with the adapter (|Δ| ${Math.abs(plain.loss - end.loss).toExponential(1)} ≤ tol 1e-4; raw ${plain.loss} vs ${end.loss})`);
    expect(Math.abs(plain.loss - end.loss)).toBeLessThanOrEqual(1e-4);
  }, 240_000);

  it('same seed ⇒ identical losses; a checkpoint resumes exactly, is a PEFT adapter, and refuses another base', async () => {
    const cfg: LlamaConfig = { vocabSize: 2048, hidden: 32, layers: 2, heads: 4, kvHeads: 2, ffn: 48, maxSeqLen: 16, ropeTheta: 10000, normEps: 1e-5, tiedEmbeddings: false };
    const [B, T] = [8, 8];
    const { train } = instructionSet(8, 2);
    const batches = [...sftBatches(train.slice(0, 6 * B), { seqLen: T, rows: B })];
    const base = flatLlamaBase(cfg, initLlamaParams(cfg, 4, 0.1));
    const lora = { r: 4, alpha: 8, dropout: 0.1, targets: ['wq', 'wv', 'w_up'] as const };
    const options = { batch: B, seqLen: T, seed: 5, schedule: { lr: 1e-2, warmupSteps: 2, totalSteps: 6, minLr: 1e-3 }, baseModel: 'crucible/test-base' };
    const run = async (): Promise<{ losses: number[]; trainer: LoraTrainer }> => {
      const trainer = await LoraTrainer.create(base, { ...lora, targets: [...lora.targets] }, options);
      const losses: number[] = [];
      for (const b of batches) losses.push((await trainer.step(b)).loss);
      return { losses, trainer };
    };
    const a = await run();
    const b = await run();
    console.log(`losses ${a.losses.map((l) => l.toFixed(5)).join(' ')}\nlosses ${b.losses.map((l) => l.toFixed(5)).join(' ')}`);
    expect(b.losses).toEqual(a.losses);
    expect(a.losses[5]!).toBeLessThan(a.losses[0]!);

    const c = await LoraTrainer.create(base, { ...lora, targets: [...lora.targets] }, options);
    for (const batch of batches.slice(0, 3)) await c.step(batch);
    const dir = join(root, 'step-000003');
    await c.saveCheckpoint(dir);
    expect((await readdir(dir)).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors', 'optimizer.safetensors', 'state.json']);
    const peft = await loadPeftAdapter(dir, cfg);
    expect(Buffer.from(peft.adapters.buffer).equals(Buffer.from(c.adapters.slice().buffer))).toBe(true);
    expect(peft.baseModel).toBe('crucible/test-base');

    const resumed = await LoraTrainer.resume(dir, base);
    expect(resumed.counters).toMatchObject({ step: 3, optimizerStep: 3, tokensSeen: 3 * B * T });
    const rest: number[] = [];
    for (const batch of batches.slice(3)) rest.push((await resumed.step(batch)).loss);
    expect(rest).toEqual(a.losses.slice(3));
    expect(Buffer.from(resumed.adapters.slice().buffer).equals(Buffer.from(a.trainer.adapters.slice().buffer))).toBe(true);

    await expect(LoraTrainer.resume(dir, flatLlamaBase(cfg, initLlamaParams(cfg, 9, 0.1)))).rejects.toThrow(/is not the one the adapter was trained on/);
    await expect(c.saveCheckpoint(dir)).rejects.toThrow(/already exists/);
    const adapterDir = join(root, 'adapter');
    await c.saveAdapter(adapterDir);
    expect((await readdir(adapterDir)).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
    expect(() => sftBatch(train.slice(0, 2), { seqLen: 4 })).toThrow(/raise seqLen/);
    // microBatches: 2 averages two half-batch gradients: the same step as one batch (without dropout).
    const noDrop = { ...lora, dropout: 0, targets: [...lora.targets] };
    const one = await LoraTrainer.create(base, noDrop, options);
    const two = await LoraTrainer.create(base, noDrop, { ...options, microBatches: 2 });
    for (const batch of batches.slice(0, 2)) {
      const [x, y] = [await one.step(batch), await two.step(batch)];
      expect(Math.abs(x.loss - y.loss) / x.loss).toBeLessThanOrEqual(1e-5);
    }
    await expect(LoraTrainer.create(base, noDrop, { ...options, microBatches: 3 })).rejects.toThrow(/batch 8 must be divisible by microBatches 3/);
  });
});
