import { describe, expect, it } from 'vitest';
import { Graph } from '../graph/graph.js';
import * as g from '../graph/ops.js';
import type { Tensor } from '../graph/tensor.js';
import { checkGradients, rng } from '../onnx/gradcheck.js';
import { Session } from '../onnx/session.js';
import { initLlamaParams, llamaForward } from './llama.js';
import { type LoraConfig, initLoraParams, loraAdapterViews, loraLinear, loraNumParams, loraParamSpecs, loraScale, parseLoraConfig } from './lora.js';
import { flatLlamaBase } from './lora-base.js';
import { LoraDropoutMasks } from './lora-dropout.js';
import { mergeLora } from './lora-merge.js';
import type { LlamaConfig } from './presets.js';

const cfg: LlamaConfig = { vocabSize: 64, hidden: 32, layers: 2, heads: 4, kvHeads: 2, ffn: 48, maxSeqLen: 16, ropeTheta: 10000, normEps: 1e-5, tiedEmbeddings: false };

/** Logits [B*T, V] of a flat base, with an adapter on top when `lora` is given. */
async function logits(base: Float32Array, tokens: BigInt64Array, B: number, T: number, lora?: { cfg: LoraConfig; adapters: Float32Array }): Promise<Float32Array> {
  const graph = new Graph('lora-logits');
  const flat = flatLlamaBase(cfg, base);
  const { params, linear } = flat.declare(graph);
  const opts = lora ? { linear: loraLinear(linear, loraAdapterViews(graph.input('adapters', [lora.adapters.length]), cfg, lora.cfg).adapters, { scale: loraScale(lora.cfg) }) } : {};
  graph.output('logits', llamaForward(cfg, params, graph.input('tokens', [B, T], 'int64'), opts));
  const s = await Session.create(graph, { threads: 1 });
  const out = await s.run({ ...flat.feeds, tokens, ...(lora ? { adapters: lora.adapters } : {}) });
  return out.logits!.data as Float32Array;
}

const maxAbsDiff = (a: Float32Array, b: Float32Array): number => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);

describe('LoRA', () => {
  it('the LoRA linear’s gradients (x, W, A, B, with a dropout mask) match finite differences', async () => {
    const [B, T, IN, OUT, R] = [2, 3, 5, 4, 2];
    const p = 0.5;
    const r = rng(3);
    const mask = Array.from({ length: B * T * IN }, () => (r.uniform() < p ? 0 : 1));
    const build = (x: Tensor, w: Tensor, a: Tensor, b: Tensor, m: Tensor): Tensor => {
      const base = (t: Tensor): Tensor => g.matmul(t, w);
      return loraLinear(base, { 'layers.0.wq': { a, b, mask: m } }, { scale: 1.5, dropout: p })(x, 'layers.0.wq'); // [B, T, OUT]
    };
    const { maxdiff } = await checkGradients([{ shape: [B, T, IN] }, { shape: [IN, OUT] }, { shape: [IN, R] }, { shape: [R, OUT] }, { shape: [B, T, IN], dtype: 'bool', values: mask }], build);
    console.log(`maxdiff ${maxdiff.toExponential(1)} ≤ tol 1e-6 (LoRA linear with a dropout mask: dx, dW, dA, dB)`);
    expect(maxdiff).toBeLessThanOrEqual(1e-6);
  });

  it('the LoRA linear computes x@W + scale/(1−p) · (x⊙mask)@A@B (vs a plain loop)', async () => {
    const [N, IN, OUT, R, p, scale] = [3, 4, 5, 2, 0.25, 2];
    const r = rng(9);
    const arr = (n: number): Float32Array => Float32Array.from({ length: n }, () => r.normal());
    const [x, w, a, b] = [arr(N * IN), arr(IN * OUT), arr(IN * R), arr(R * OUT)];
    const mask = Uint8Array.from({ length: N * IN }, (_, i) => (i % 3 === 0 ? 0 : 1));
    const graph = new Graph('lora-linear');
    const t = (name: string, shape: number[]): Tensor => graph.input(name, shape);
    const mod = { a: t('a', [IN, R]), b: t('b', [R, OUT]), mask: graph.input('mask', [N, IN], 'bool') };
    const W = t('w', [IN, OUT]);
    graph.output('y', loraLinear((v) => g.matmul(v, W), { 'layers.0.wo': mod }, { scale, dropout: p })(t('x', [N, IN]), 'layers.0.wo'));
    const y = (await (await Session.create(graph, { threads: 1 })).run({ x, w, a, b, mask })).y!.data as Float32Array;
    let d = 0;
    for (let i = 0; i < N; i++)
      for (let o = 0; o < OUT; o++) {
        let base = 0;
        let ad = 0;
        for (let k = 0; k < IN; k++) {
          base += x[i * IN + k]! * w[k * OUT + o]!;
          for (let j = 0; j < R; j++) ad += x[i * IN + k]! * mask[i * IN + k]! * a[k * R + j]! * b[j * OUT + o]!;
        }
        d = Math.max(d, Math.abs(y[i * OUT + o]! - (base + (scale / (1 - p)) * ad)));
      }
    console.log(`maxdiff ${d.toExponential(1)} ≤ tol 1e-5 (LoRA linear forward vs loop)`);
    expect(d).toBeLessThanOrEqual(1e-5);
    expect(() => loraLinear((v) => v, { 'layers.0.wo': mod }, { scale })(mod.a, 'layers.0.wo')).toThrow(/pass opts\.dropout/);
  });

  it('a linear without an adapter is the base’s, and a fresh adapter (B = 0) leaves the logits unchanged', async () => {
    const lora = parseLoraConfig({ r: 4, alpha: 8, dropout: 0, targets: ['wv', 'wq'] });
    expect(lora.targets).toEqual(['wq', 'wv']); // canonical order
    const base = initLlamaParams(cfg, 1);
    const adapters = initLoraParams(cfg, lora, 2);
    const specs = loraParamSpecs(cfg, lora);
    expect(specs.map((s) => `${s.name} [${s.shape}]`).slice(0, 4)).toEqual(['layers.0.wq.lora_A [32,4]', 'layers.0.wq.lora_B [4,32]', 'layers.0.wv.lora_A [32,4]', 'layers.0.wv.lora_B [4,16]']);
    let at = 0;
    for (const s of specs) {
      const view = adapters.subarray(at, (at += s.shape[0] * s.shape[1]));
      const bound = 1 / Math.sqrt(s.shape[0]);
      if (s.kind === 'B') expect(view.every((v) => v === 0)).toBe(true);
      else expect(Math.max(...view.map(Math.abs))).toBeLessThanOrEqual(bound), expect(Math.max(...view.map(Math.abs))).toBeGreaterThan(0.8 * bound);
    }
    const T = 8;
    const tokens = BigInt64Array.from({ length: 2 * T }, (_, i) => BigInt((i * 7) % cfg.vocabSize));
    const d = maxAbsDiff(await logits(base, tokens, 2, T), await logits(base, tokens, 2, T, { cfg: lora, adapters }));
    console.log(`maxdiff ${d.toExponential(1)} ≤ tol 1e-6 (fresh adapter vs base logits)`);
    expect(d).toBeLessThanOrEqual(1e-6);
  });

  it('merged-model logits equal adapter-on-base logits (non-zero B, every target)', async () => {
    const lora = parseLoraConfig({ r: 4, alpha: 16, dropout: 0.1, targets: ['wq', 'wk', 'wv', 'wo', 'w_gate', 'w_up', 'w_down'] });
    const base = initLlamaParams(cfg, 5);
    const adapters = initLoraParams(cfg, lora, 6);
    const r = rng(7);
    for (let i = 0; i < adapters.length; i++) if (adapters[i] === 0) adapters[i] = 0.05 * r.normal(); // B ≠ 0, so the adapter matters
    const baseCopy = base.slice();
    const merged = await mergeLora(cfg, lora, base, adapters, { threads: 1 });
    expect(Buffer.from(base.buffer).equals(Buffer.from(baseCopy.buffer))).toBe(true); // the base is not modified
    const [B, T] = [2, 8];
    const tokens = BigInt64Array.from({ length: B * T }, () => BigInt(Math.floor(r.uniform() * cfg.vocabSize)));
    const onBase = await logits(base, tokens, B, T, { cfg: lora, adapters });
    const plain = await logits(merged, tokens, B, T);
    const effect = maxAbsDiff(onBase, await logits(base, tokens, B, T));
    const d = maxAbsDiff(onBase, plain);
    console.log(`maxdiff ${d.toExponential(1)} ≤ tol 1e-5 (merged vs adapter-on-base logits; the adapter itself moves them by ${effect.toExponential(1)})`);
    expect(effect).toBeGreaterThan(1e-2);
    expect(d).toBeLessThanOrEqual(1e-5);
  });

  it('dropout masks are bool, drop about p, and repeat exactly for the same seed', () => {
    const lora = parseLoraConfig({ r: 2, alpha: 2, dropout: 0.25, targets: ['wq', 'w_down'] });
    const a = new LoraDropoutMasks(cfg, lora, { batch: 2, seqLen: 8 }, 42);
    const b = new LoraDropoutMasks(cfg, lora, { batch: 2, seqLen: 8 }, 42);
    const c = new LoraDropoutMasks(cfg, lora, { batch: 2, seqLen: 8 }, 43);
    const flat = (m: Record<string, Uint8Array>): number[] => Object.values(m).flatMap((x) => Array.from(x));
    const first = flat(a.next());
    expect(Object.keys(a.feeds)).toEqual(['lora_dropout.layers.0.wq', 'lora_dropout.layers.0.w_down', 'lora_dropout.layers.1.wq', 'lora_dropout.layers.1.w_down']);
    expect(a.feeds['lora_dropout.layers.0.w_down']!.length).toBe(2 * 8 * cfg.ffn); // [B, T, F]
    expect(first).toEqual(flat(b.next()));
    expect(first).not.toEqual(flat(c.next()));
    expect(new Set(first)).toEqual(new Set([0, 1]));
    const dropped = first.filter((v) => v === 0).length / first.length;
    expect(Math.abs(dropped - 0.25)).toBeLessThan(0.03);
    expect(flat(a.next())).not.toEqual(first); // a new draw each step
  });

  it('refuses bad configs with messages that say what to fix', () => {
    expect(() => parseLoraConfig({ r: 0, alpha: 8, dropout: 0, targets: ['wq'] })).toThrow(/rank/);
    expect(() => parseLoraConfig({ r: 4, alpha: 8, dropout: 1, targets: ['wq'] })).toThrow(/dropout must be in \[0, 1\)/);
    expect(() => parseLoraConfig({ r: 4, alpha: 8, dropout: 0, targets: ['q_proj' as never] })).toThrow(/one of wq, wk/);
    expect(() => parseLoraConfig({ r: 4, alpha: 8, dropout: 0, targets: [] })).toThrow(/at least one/);
    const lora = parseLoraConfig({ r: 2, alpha: 4, dropout: 0, targets: ['wo'] });
    expect(loraNumParams(cfg, lora)).toBe(cfg.layers * (32 * 2 + 2 * 32));
  });
});
