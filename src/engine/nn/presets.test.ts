import { describe, expect, it } from 'vitest';
import { countParams, llamaConfigSchema, paramBreakdown, parseLlamaConfig, preset, presets, type PresetName } from './presets.js';
import { llamaParamSpecs } from './llama.js';
import { estimateTrainingMemory } from './presets-memory.js';

describe('presets', () => {
  it('tiny has exactly 10,522,880 parameters', () => {
    const tiny = preset('tiny');
    expect(tiny).toMatchObject({ vocabSize: 8192, hidden: 256, layers: 8, heads: 8, kvHeads: 8, ffn: 688, tiedEmbeddings: false });
    expect(countParams(tiny)).toBe(10_522_880);
    // Hand count: embedding + lm head 2·8192·256, per layer 4·256² + 3·256·688 + 2·256, final norm 256.
    expect(2 * 8192 * 256 + 8 * (4 * 256 * 256 + 3 * 256 * 688 + 2 * 256) + 256).toBe(10_522_880);
  });

  it('every preset validates and lands near its nominal size', () => {
    const nominal: Record<PresetName, number> = { nano: 1e6, tiny: 10e6, small: 40e6, base: 110e6, medium: 350e6 };
    for (const name of Object.keys(presets) as PresetName[]) {
      const config = parseLlamaConfig(preset(name));
      const n = countParams(config);
      console.log(`${name}: ${n.toLocaleString('en-US')} parameters`);
      expect(n / nominal[name]).toBeGreaterThan(0.85);
      expect(n / nominal[name]).toBeLessThan(1.15);
    }
  });

  it('agrees with the parameter list the model declares, for every preset and GQA', () => {
    const configs = [...(Object.keys(presets) as PresetName[]).map(preset), { ...preset('nano'), kvHeads: 1, tiedEmbeddings: true }];
    for (const config of configs) {
      const declared = llamaParamSpecs(config).reduce((n, spec) => n + spec.shape.reduce((a, b) => a * b, 1), 0);
      expect(declared).toBe(countParams(config));
    }
  });

  it('counts tied embeddings once and shrinks K/V projections under grouped-query attention', () => {
    const base = preset('tiny');
    expect(countParams({ ...base, tiedEmbeddings: true })).toBe(10_522_880 - 8192 * 256);
    const gqa = paramBreakdown({ ...base, kvHeads: 2 });
    // q and o stay C×C; k and v become C × (2 heads · 32) each.
    expect(gqa.attention).toBe(8 * (2 * 256 * 256 + 2 * 256 * 64));
  });

  it('rejects inconsistent head layouts with messages that name the numbers', () => {
    const tiny = preset('tiny');
    const bad = (patch: object) => llamaConfigSchema.safeParse({ ...tiny, ...patch });
    expect(bad({ heads: 7 }).error?.issues[0]?.message).toMatch(/hidden \(256\) must be divisible by heads \(7\)/);
    expect(bad({ kvHeads: 3 }).error?.issues[0]?.message).toMatch(/heads \(8\) must be divisible by kvHeads \(3\)/);
    expect(bad({ hidden: 24, heads: 8, kvHeads: 8 }).error?.issues[0]?.message).toMatch(/head size .* = 3 must be even/);
    expect(bad({ layers: 0 }).success).toBe(false);
    expect(bad({ extra: 1 }).success).toBe(false);
  });
});

describe('estimateTrainingMemory', () => {
  it('adds weights, grads, two Adam moments, the ping-pong copy, scratch, activations and the runtime', () => {
    const tiny = preset('tiny');
    const m = estimateTrainingMemory(tiny, { batch: 16, seqLen: 256 });
    const N = 10_522_880;
    expect(m.weights).toBe(4 * N);
    expect(m.grads).toBe(4 * N);
    expect(m.adamMoments).toBe(8 * N);
    expect(m.optimizerCopy).toBe(12 * N);
    expect(m.scratch).toBe(8 * N);
    expect(m.detail.logitsAndGrad).toBe(3 * 16 * 256 * 8192 * 4);
    expect(m.detail.attentionScores).toBe(8 * 2 * 16 * 8 * 256 * 256 * 4);
    // Per layer: 8 [B,T,C] + 3 [B,T,F] + 2 [B,NH,T,T] floats.
    expect(m.detail.activationsPerLayer).toBe((4096 * (8 * 256 + 3 * 688) + 2 * 16 * 8 * 256 * 256) * 4);
    expect(m.total).toBe(m.weights + m.grads + m.adamMoments + m.optimizerCopy + m.scratch + m.activations + m.runtime);
    console.log(`tiny B=16 T=256: ${(m.total / 2 ** 20).toFixed(0)} MiB (activations ${(m.activations / 2 ** 20).toFixed(0)} MiB)`);
  });

  it('grows quadratically in T only through the attention scores', () => {
    const tiny = preset('tiny');
    const a = estimateTrainingMemory(tiny, { batch: 1, seqLen: 128 });
    const b = estimateTrainingMemory(tiny, { batch: 1, seqLen: 256 });
    expect(b.detail.attentionScores).toBe(4 * a.detail.attentionScores);
    expect(() => estimateTrainingMemory(tiny, { batch: 0, seqLen: 8 })).toThrow(/positive integers/);
  });
});
