/**
 * quantizedLinear as a LinearFn: the MatMulNBits kernel against a float32 product with the dequantized
 * weights, whole-model logits against float32, and the same LinearFn inside the KV-cache decoder.
 */
import { describe, expect, it } from 'vitest';
import { Decoder } from '../generate/decoder.js';
import { gqaMicro, referenceLogits, testWeights } from '../generate/test-models.js';
import { Graph } from '../graph/graph.js';
import * as g from '../graph/ops.js';
import { type LinearFn, llamaForward, plainLinear } from '../nn/llama.js';
import { rng } from '../onnx/gradcheck.js';
import { Session, ort } from '../onnx/session.js';
import { quantizeBlocks } from './block-quant.js';
import { dequantizeBlocks } from './dequantize.js';
import { quantizedFeeds, quantizedLinear } from './quantized-linear.js';
import { type QuantizedLlama, denseLlamaParams, quantizeLlama } from './quantize-llama.js';

const cfg = gqaMicro; // C = 32, F = 48 (w_down has a ragged block), V = 61, GQA
const TOKENS = [3, 14, 15, 9, 26, 5, 35, 8, 9, 40, 2, 60];

/** max |a − b| / max |b| and sqrt(Σ(a − b)² / Σb²). */
function relErr(a: Float32Array, b: Float32Array): { max: number; rms: number } {
  let dmax = 0, bmax = 0, dsq = 0, bsq = 0;
  for (let i = 0; i < b.length; i++) {
    const d = a[i]! - b[i]!;
    dmax = Math.max(dmax, Math.abs(d));
    bmax = Math.max(bmax, Math.abs(b[i]!));
    dsq += d * d;
    bsq += b[i]! * b[i]!;
  }
  return { max: dmax / bmax, rms: Math.sqrt(dsq / bsq) };
}

/** Logits [T, V] of TOKENS with a quantized model's dense params baked in and `linear` for the linears. */
async function quantizedLogits(q: QuantizedLlama, linear: LinearFn): Promise<Float32Array> {
  const graph = new Graph('quantized-logits');
  const tokens = graph.input('tokens', [1, TOKENS.length], 'int64');
  graph.output('logits', llamaForward(cfg, denseLlamaParams(graph, q, { as: 'constant' }), tokens, { linear }));
  const s = await Session.create(graph, { threads: 1 });
  return (await s.run({ tokens: BigInt64Array.from(TOKENS, BigInt) })).logits!.data as Float32Array;
}

describe('quantizedLinear, one layer', () => {
  const [K, N] = [48, 20];
  const r = rng(5);
  const w = Float32Array.from({ length: K * N }, () => 0.1 * r.normal());
  const x = Float32Array.from({ length: 2 * 3 * K }, () => r.normal());

  async function run(linear: LinearFn, feeds: Record<string, ort.Tensor> = {}): Promise<Float32Array> {
    const graph = new Graph('one-linear');
    graph.output('y', linear(graph.input('x', [2, 3, K]), 'w')); // [2, 3, N]
    return (await (await Session.create(graph, { threads: 1 })).run({ x, ...feeds })).y!.data as Float32Array;
  }

  for (const bits of [4, 8] as const)
    it(`int${bits}: MatMulNBits equals x @ dequantize(W): float compute to 1e-6, int8 compute (accuracy level 4) to 1e-2`, async () => {
      const q = quantizeBlocks(w, [K, N], { bits });
      const wq = await dequantizeBlocks(q);
      const ref = await run((t) => g.matmul(t, t.graph.constant(wq, [K, N])));
      const exact = relErr(await run(quantizedLinear({ w: q }, { accuracyLevel: 0 })), ref);
      const fast = relErr(await run(quantizedLinear({ w: q })), ref);
      const fed = relErr(await run(quantizedLinear({ w: q }, { as: 'input' }), quantizedFeeds({ w: q }) as Record<string, ort.Tensor>), ref);
      console.log(`int${bits}: max rel err ${exact.max.toExponential(1)} ≤ 1e-6 (accuracy 0), ${fast.max.toExponential(1)} ≤ 1e-2 (accuracy 4), ${fed.max.toExponential(1)} ≤ 1e-2 (weights fed as inputs)`);
      expect(exact.max).toBeLessThanOrEqual(1e-6);
      expect(fast.max).toBeLessThanOrEqual(1e-2);
      expect(fed.max).toBeLessThanOrEqual(1e-2);
    });

  it('refuses linears it has no weight for, unless given a fallback, and non-float32 inputs', async () => {
    const q = quantizeBlocks(w, [K, N], { bits: 4 });
    const graph = new Graph('refusals');
    expect(() => quantizedLinear({ w: q })(graph.input('x', [2, K]), 'lm_head')).toThrow(/no quantized weight for 'lm_head'.*pass a fallback/);
    expect(() => quantizedLinear({ w: q })(graph.input('x64', [2, K], 'float64'), 'w')).toThrow(/takes float32 inputs; got float64/);
    const other = graph.param('other', [K, 7]);
    const y = quantizedLinear({ w: q }, { fallback: (t) => g.matmul(t, other) })(graph.input('x2', [2, K]), 'lm_head');
    expect(y.shape).toEqual([2, 7]);
  });
});

describe('a quantized Llama', () => {
  const { flat, weights } = testWeights(cfg);

  // This random model (std 0.2) amplifies weight error about 5× into its logits: per-weight relative RMS
  // error is 0.5% (int8) and 8.6% (int4) (block-quant.test.ts). The trained model's perplexity is the
  // real measure (brown-perplexity.test.ts); here a wrong layout would give errors of order 1.
  for (const [bits, tol] of [[8, 0.05], [4, 0.4]] as const)
    it(`int${bits}: logits within relative RMS ${tol} of float32, and within 3e-2 of float32 on the dequantized weights`, async () => {
      const q = quantizeLlama(cfg, flat, { bits });
      const f32 = await referenceLogits(cfg, weights, TOKENS);
      const logits = await quantizedLogits(q, quantizedLinear(q.linears));
      // The same model computed in float32 from the dequantized weights isolates the kernel's own error.
      const deq: Record<string, Float32Array> = {};
      for (const [name, w] of Object.entries(q.linears)) deq[name] = await dequantizeBlocks(w);
      const graph = new Graph('dequantized');
      const p = { ...denseLlamaParams(graph, q, { as: 'constant' }) };
      for (const [name, w] of Object.entries(deq)) p[name] = graph.constant(w, [q.linears[name]!.K, q.linears[name]!.N]);
      graph.output('logits', llamaForward(cfg, p, graph.input('tokens', [1, TOKENS.length], 'int64'), { linear: plainLinear(cfg, p) }));
      const deqLogits = (await (await Session.create(graph, { threads: 1 })).run({ tokens: BigInt64Array.from(TOKENS, BigInt) })).logits!.data as Float32Array;

      const floatCompute = relErr(await quantizedLogits(q, quantizedLinear(q.linears, { accuracyLevel: 0 })), f32);
      const vsF32 = relErr(logits, f32);
      const vsDeq = relErr(logits, deqLogits);
      console.log(
        `int${bits}: logits vs float32 rel RMS ${vsF32.rms.toExponential(2)} ≤ ${tol} (max ${vsF32.max.toExponential(2)}; ${floatCompute.rms.toExponential(2)} at accuracy level 0); ` +
          `vs float32 on the dequantized weights ${vsDeq.rms.toExponential(2)} ≤ 3e-2 (x rounded to int8 per block at accuracy level 4)`,
      );
      expect(vsF32.rms).toBeLessThanOrEqual(tol);
      expect(vsDeq.rms).toBeLessThanOrEqual(3e-2);
      expect(vsF32.rms).toBeGreaterThan(vsDeq.rms); // the quantization, not the kernel, is what moves the logits
    });

  it('tied embeddings: the LM head is embedᵀ, quantized on its own, while the lookup keeps the float embedding', async () => {
    const tied = { ...cfg, tiedEmbeddings: true };
    const t = testWeights(tied);
    const q = quantizeLlama(tied, t.flat, { bits: 8 });
    expect(Object.keys(q.dense)).toContain('embed');
    expect([q.linears.lm_head!.K, q.linears.lm_head!.N]).toEqual([tied.hidden, tied.vocabSize]);
    const f32 = await referenceLogits(tied, t.weights, TOKENS);
    const graph = new Graph('tied');
    graph.output('logits', llamaForward(tied, denseLlamaParams(graph, q, { as: 'constant' }), graph.input('tokens', [1, TOKENS.length], 'int64'), { linear: quantizedLinear(q.linears) }));
    const logits = (await (await Session.create(graph, { threads: 1 })).run({ tokens: BigInt64Array.from(TOKENS, BigInt) })).logits!.data as Float32Array;
    const err = relErr(logits, f32);
    console.log(`tied int8: logits vs float32 rel RMS ${err.rms.toExponential(2)} ≤ 0.05`);
    expect(err.rms).toBeLessThanOrEqual(0.05);
  });

  it('int4 in the KV-cache decoder: prefill + cached decode give the logits llamaForward gives with the same LinearFn', async () => {
    const q = quantizeLlama(cfg, flat, { bits: 4 });
    const ref = await quantizedLogits(q, quantizedLinear(q.linears));
    const dec = await Decoder.create(cfg, q.dense, { threads: 1, linear: () => quantizedLinear(q.linears) });
    const S = 8;
    const V = cfg.vocabSize;
    const ids = (from: number, to: number): BigInt64Array => BigInt64Array.from(TOKENS.slice(from, to), BigInt);
    const ones = (n: number): BigInt64Array => new BigInt64Array(n).fill(1n);
    let { logits, present } = await dec.run({ B: 1, S, inputIds: ids(0, S), attentionMask: ones(S), positionIds: BigInt64Array.from({ length: S }, (_, i) => BigInt(i)), past: dec.emptyPast(1) });
    let diff = relErr(logits, ref.subarray(0, S * V)).max;
    for (let t = S; t < TOKENS.length; t++) {
      ({ logits, present } = await dec.run({ B: 1, S: 1, inputIds: ids(t, t + 1), attentionMask: ones(t + 1), positionIds: BigInt64Array.of(BigInt(t)), past: present }));
      diff = Math.max(diff, relErr(logits, ref.subarray(t * V, (t + 1) * V)).max);
    }
    console.log(`int4 decoder: max rel diff ${diff.toExponential(1)} ≤ 1e-3 (prefill ${S} + ${TOKENS.length - S} cached steps vs llamaForward)`);
    expect(diff).toBeLessThanOrEqual(1e-3);
  });
});
