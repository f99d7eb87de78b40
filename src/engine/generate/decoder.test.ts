import { describe, expect, it } from 'vitest';
import * as g from '../graph/ops.js';
import { LLAMA_LINEARS, plainLinear } from '../nn/llama.js';
import { buildDecoderGraph } from './decoder-graph.js';
import { Decoder } from './decoder.js';
import { gqaMicro, referenceLogits, testWeights } from './test-models.js';

const cfg = gqaMicro;
const V = cfg.vocabSize;

/** max |a − b| over V values of two rows. */
function rowDiff(a: Float32Array, ai: number, b: Float32Array, bi: number): number {
  let m = 0;
  for (let v = 0; v < V; v++) m = Math.max(m, Math.abs(a[ai * V + v]! - b[bi * V + v]!));
  return m;
}

describe('KV-cache decoder', () => {
  it('batched prefill + decode of sequences of different lengths gives llamaForward logits', async () => {
    const { weights } = testWeights(cfg);
    const full = [
      [3, 14, 15, 9, 26, 5, 35, 8, 9],
      [7, 1, 60, 2, 33, 4],
      [11, 22, 33, 44, 55, 6, 17, 28, 39, 40, 41],
    ];
    const steps = 4;
    const prompts = full.map((s) => s.slice(0, s.length - steps)); // lengths 5, 2, 7
    const refs = await Promise.all(full.map((s) => referenceLogits(cfg, weights, s)));
    const dec = await Decoder.create(cfg, weights, { threads: 1, logits: 'all' });

    // Prefill, left-padded to the longest prompt: [B, S] with padding first.
    const B = full.length;
    const S = Math.max(...prompts.map((p) => p.length));
    const ids = new BigInt64Array(B * S);
    const mask = new BigInt64Array(B * S);
    const pos = new BigInt64Array(B * S);
    prompts.forEach((p, b) =>
      p.forEach((t, i) => {
        const at = b * S + S - p.length + i;
        ids[at] = BigInt(t);
        mask[at] = 1n;
        pos[at] = BigInt(i);
      }),
    );
    let { logits, present } = await dec.run({ B, S, inputIds: ids, attentionMask: mask, positionIds: pos, past: dec.emptyPast(B) });
    let maxdiff = 0;
    prompts.forEach((p, b) => p.forEach((_, i) => (maxdiff = Math.max(maxdiff, rowDiff(logits, b * S + S - p.length + i, refs[b]!, i)))));

    // Decode one token per sequence per step, each at its own position; the mask grows by one column.
    let rowMask = Array.from({ length: B }, (_, b) => Array.from(mask.subarray(b * S, (b + 1) * S)));
    for (let k = 0; k < steps; k++) {
      rowMask = rowMask.map((m) => [...m, 1n]);
      const at = prompts.map((p) => p.length + k); // each sequence's position
      ({ logits, present } = await dec.run({
        B,
        S: 1,
        inputIds: BigInt64Array.from(full.map((s, b) => BigInt(s[at[b]!]!))),
        attentionMask: BigInt64Array.from(rowMask.flat()),
        positionIds: BigInt64Array.from(at.map(BigInt)),
        past: present,
      }));
      full.forEach((_, b) => (maxdiff = Math.max(maxdiff, rowDiff(logits, b, refs[b]!, at[b]!))));
    }
    expect(present[0]!.dims).toEqual([B, cfg.kvHeads, S + steps, cfg.hidden / cfg.heads]);
    console.log(`maxdiff ${maxdiff.toExponential(1)} ≤ tol 1e-4 (cached decode vs llamaForward, lengths ${full.map((s) => s.length)})`);
    expect(maxdiff).toBeLessThanOrEqual(1e-4);
  });

  it('sends every linear layer through the LinearFn, and leaves unused float weights out of the model', async () => {
    const { weights } = testWeights(cfg, 2);
    const seen = new Set<string>();
    // A LinearFn that doubles the LM head: logits must come out exactly doubled.
    const doubled = await Decoder.create(cfg, weights, {
      threads: 1,
      linear: (p) => {
        const base = plainLinear(cfg, p);
        return (x, name) => (seen.add(name), name === 'lm_head' ? g.mul(base(x, name), 2) : base(x, name));
      },
    });
    const plain = await Decoder.create(cfg, weights, { threads: 1 });
    const call = { B: 1, S: 3, inputIds: BigInt64Array.of(5n, 6n, 7n), attentionMask: BigInt64Array.of(1n, 1n, 1n), positionIds: BigInt64Array.of(0n, 1n, 2n) };
    const a = (await doubled.run({ ...call, past: doubled.emptyPast(1) })).logits;
    const b = (await plain.run({ ...call, past: plain.emptyPast(1) })).logits;
    expect(Array.from(a)).toEqual(Array.from(b, (v) => 2 * v));
    const want = [...Array.from({ length: cfg.layers }, (_, l) => LLAMA_LINEARS.map((k) => `layers.${l}.${k}`)).flat(), 'lm_head'];
    expect([...seen].sort()).toEqual(want.sort());
    // A LinearFn with its own weights (here: one constant matrix for wq) drops that float param entirely.
    const { graph } = buildDecoderGraph(cfg, {
      linear: (p, graph) => {
        const base = plainLinear(cfg, p);
        const wq0 = graph.constant(weights['layers.0.wq']!, [cfg.hidden, cfg.hidden]);
        return (x, name) => (name === 'layers.0.wq' ? g.matmul(x, wq0) : base(x, name));
      },
    });
    const params = graph.inputs().filter((i) => i.kind === 'param').map((i) => i.name);
    expect(params).not.toContain('layers.0.wq');
    expect(params).toContain('layers.0.wk');
  });
});
