import { describe, expect, it } from 'vitest';
import { initLlamaParams } from '../nn/llama.js';
import type { LlamaConfig } from '../nn/presets.js';
import { rng } from '../onnx/gradcheck.js';
import { Session, ort } from '../onnx/session.js';
import { ADAMW_DEFAULTS } from './adamw.js';
import { LlamaTrainStep, buildLlamaGradStep, paramLayout, paramViews } from './train-step.js';

describe('Llama train step', () => {
  it('a whole Llama train step overfits one fixed batch', async () => {
    const cfg: LlamaConfig = { vocabSize: 64, hidden: 32, layers: 2, heads: 4, kvHeads: 2, ffn: 64, maxSeqLen: 16, ropeTheta: 10000, normEps: 1e-5, tiedEmbeddings: false };
    const [B, T] = [4, 16];
    const trainer = await LlamaTrainStep.create(cfg, { batch: B, seqLen: T }, { seed: 3, adamw: { ...ADAMW_DEFAULTS, weightDecay: 0 } });
    const r = rng(11);
    const tokens = BigInt64Array.from({ length: B * T }, () => BigInt(Math.floor(r.uniform() * cfg.vocabSize)));
    const targets = BigInt64Array.from({ length: B * T }, () => BigInt(Math.floor(r.uniform() * cfg.vocabSize)));
    const first = await trainer.step(tokens, targets, 1e-2);
    let last = first;
    for (let i = 0; i < 60; i++) last = await trainer.step(tokens, targets, 1e-2);
    console.log(`loss ${first.loss.toFixed(3)} → ${last.loss.toFixed(3)} after 61 steps (grad norm ${first.gradNorm.toFixed(3)} → ${last.gradNorm.toFixed(3)})`);
    expect(first.loss).toBeCloseTo(Math.log(cfg.vocabSize), 1);
    expect(last.loss).toBeLessThan(0.5);
  });

  it('gradient accumulation over 2 × B/2 matches one batch of B', async () => {
    const cfg: LlamaConfig = { vocabSize: 64, hidden: 32, layers: 2, heads: 4, kvHeads: 2, ffn: 64, maxSeqLen: 16, ropeTheta: 10000, normEps: 1e-5, tiedEmbeddings: false };
    const [B, T] = [4, 16];
    const r = rng(5);
    const tokens = BigInt64Array.from({ length: B * T }, () => BigInt(Math.floor(r.uniform() * cfg.vocabSize)));
    const targets = BigInt64Array.from({ length: B * T }, () => BigInt(Math.floor(r.uniform() * cfg.vocabSize)));
    const half = (a: BigInt64Array, i: number) => a.slice((i * B * T) / 2, ((i + 1) * B * T) / 2);
    const micro = [0, 1].map((i) => ({ tokens: half(tokens, i), targets: half(targets, i) }));
    const initial = initLlamaParams(cfg, 9);
    const n = initial.length;

    // The gradients themselves: Σ ½·∇(half) vs ∇(full).
    const full = await Session.create(buildLlamaGradStep(cfg, { batch: B, seqLen: T }), { threads: 1 });
    const halfS = await Session.create(buildLlamaGradStep(cfg, { batch: B / 2, seqLen: T }), { threads: 1 });
    const lay = paramLayout(cfg);
    // Runs a grad step on flat buffers: feeds and fetches are per-parameter views of them.
    const gradStep = async (s: Session, gradIn: Float32Array, batch: { tokens: BigInt64Array; targets: BigInt64Array }, scale: number): Promise<Float32Array> => {
      const out = new Float32Array(n);
      await s.run({ ...paramViews(lay, 'param', initial), ...paramViews(lay, 'grad_in', gradIn), ...batch, scale: Float32Array.of(scale) },
        { ...paramViews(lay, 'grad_out', out), loss: new ort.Tensor('float32', new Float32Array(1), []) });
      return out;
    };
    const gFull = await gradStep(full, new Float32Array(n), { tokens, targets }, 1);
    let acc: Float32Array = new Float32Array(n);
    for (const m of micro) acc = await gradStep(halfS, acc, m, 0.5);
    const gmax = Math.max(...gFull.map(Math.abs));
    const gdiff = Math.max(...gFull.map((x, i) => Math.abs(x - acc[i]!))) / gmax;
    console.log(`maxdiff ${gdiff.toExponential(1)} ≤ tol 1e-5 (accumulated gradient, relative to max |grad|)`);
    expect(gdiff).toBeLessThanOrEqual(1e-5);

    // Whole steps: fused on B vs accumulated over 2 × B/2 (same initial parameters).
    const a = await LlamaTrainStep.create(cfg, { batch: B, seqLen: T }, { initial, session: { threads: 1 } });
    const b = await LlamaTrainStep.create(cfg, { batch: B / 2, seqLen: T }, { initial, session: { threads: 1 } });
    const ra = await a.step(tokens, targets, 1e-3);
    const rb = await b.stepAccumulated(micro, 1e-3);
    const du = a.params.map((x, i) => x - initial[i]!);
    const rel = Math.max(...a.params.map((x, i) => Math.abs(x - b.params[i]!))) / Math.max(...du.map(Math.abs));
    console.log(`loss ${ra.loss.toFixed(6)} vs ${rb.loss.toFixed(6)}, grad norm ${ra.gradNorm.toFixed(6)} vs ${rb.gradNorm.toFixed(6)}, ` +
      `params maxdiff ${rel.toExponential(1)} of the largest update (AdamW's first step is ≈ lr·sign(g), so tiny gradients dominate this)`);
    expect(Math.abs(ra.loss - rb.loss) / ra.loss).toBeLessThanOrEqual(1e-5);
    expect(Math.abs(ra.gradNorm - rb.gradNorm) / ra.gradNorm).toBeLessThanOrEqual(1e-5);
    expect(rel).toBeLessThanOrEqual(1e-3);
  });

  it('drops a non-finite step and keeps the previous state; state() and load() round-trip', async () => {
    const cfg: LlamaConfig = { vocabSize: 16, hidden: 8, layers: 1, heads: 2, kvHeads: 1, ffn: 16, maxSeqLen: 4, ropeTheta: 10000, normEps: 1e-5, tiedEmbeddings: true };
    const t = await LlamaTrainStep.create(cfg, { batch: 1, seqLen: 4 }, { seed: 1, session: { threads: 1 } });
    const tokens = BigInt64Array.from([1n, 2n, 3n, 4n]);
    await t.step(tokens, tokens, 1e-2);
    const before = t.state();
    await t.step(tokens, tokens, 1e-2);
    t.load(before);
    expect(t.stepCount).toBe(1);
    expect(Array.from(t.params)).toEqual(Array.from(before.params));
    const poisoned = before.params.slice();
    poisoned[0] = Number.POSITIVE_INFINITY; // a non-finite parameter makes the loss non-finite
    t.load({ ...before, params: poisoned });
    const r = await t.step(tokens, tokens, 1e-2);
    expect(r.skipped).toBe(true);
    expect(t.stepCount).toBe(1);
    expect(t.params[0]).toBe(Number.POSITIVE_INFINITY); // unchanged: the update was dropped
  });

  it('is deterministic: same seed and batches ⇒ bit-identical losses and parameters', async () => {
    const cfg: LlamaConfig = { vocabSize: 32, hidden: 16, layers: 2, heads: 2, kvHeads: 1, ffn: 32, maxSeqLen: 8, ropeTheta: 10000, normEps: 1e-5, tiedEmbeddings: false };
    const run = async (): Promise<{ losses: number[]; params: Float32Array }> => {
      const t = await LlamaTrainStep.create(cfg, { batch: 2, seqLen: 8 }, { seed: 4, session: { threads: 2 } });
      const r = rng(8);
      const losses: number[] = [];
      for (let i = 0; i < 4; i++) {
        const tokens = BigInt64Array.from({ length: 16 }, () => BigInt(Math.floor(r.uniform() * cfg.vocabSize)));
        losses.push((await t.step(tokens, tokens, 1e-2)).loss);
      }
      return { losses, params: t.params.slice() };
    };
    const [a, b] = [await run(), await run()];
    expect(a.losses).toEqual(b.losses);
    expect(Buffer.from(a.params.buffer).equals(Buffer.from(b.params.buffer))).toBe(true);
  });
});
