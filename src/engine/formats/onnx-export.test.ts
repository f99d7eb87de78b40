import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import protobuf from 'onnx-proto';
import { afterAll, describe, expect, it } from 'vitest';
import { ort } from '../onnx/session.js';
import { Decoder, type DecoderCall } from '../generate/decoder.js';
import { gqaMicro, referenceLogits, testWeights } from '../generate/test-models.js';
import { exportOnnx, loadOnnxDecoder, readOnnxExport } from './onnx-export.js';

const cfg = gqaMicro;
const dir = await mkdtemp(join(tmpdir(), `onnx-export-${randomUUID()}-`));
afterAll(() => rm(dir, { recursive: true, force: true }));

const maxAbsDiff = (a: Float32Array, b: Float32Array): number => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

describe('ONNX inference export', () => {
  it('writes a self-contained file with the export contract and named dims', async () => {
    const { weights } = testWeights(cfg, 4);
    const path = join(dir, 'model.onnx');
    const { bytes } = await exportOnnx(path, cfg, weights);
    const m = protobuf.onnx.ModelProto.decode(new Uint8Array(await readFile(path)));
    const HS = cfg.hidden / cfg.heads;
    const dims = (v: protobuf.onnx.IValueInfoProto): (string | number)[] => v.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue));
    const inputs = Object.fromEntries(m.graph!.input!.map((v) => [v.name, dims(v)]));
    const outputs = Object.fromEntries(m.graph!.output!.map((v) => [v.name, dims(v)]));
    const want = { input_ids: ['B', 'S'], attention_mask: ['B', 'P+S'], position_ids: ['B', 'S'] } as Record<string, (string | number)[]>;
    for (let l = 0; l < cfg.layers; l++) for (const kv of ['key', 'value']) want[`past_key_values.${l}.${kv}`] = ['B', cfg.kvHeads, 'P', HS];
    expect(inputs).toEqual(want); // no weight is left as an input
    expect(outputs.logits).toEqual(['B', 'S', cfg.vocabSize]);
    expect(outputs['present.1.value']).toEqual(['B', cfg.kvHeads, 'P+S', HS]);
    expect(m.graph!.initializer!.some((t) => t.name === 'layers.0.wq')).toBe(true);
    expect(bytes).toBeGreaterThan(4 * Object.values(weights).reduce((n, w) => n + w.length, 0));
    expect((await readOnnxExport(path)).cfg).toEqual(cfg);
  });

  it('the file loaded back gives the in-engine logits (≤ 1e-5), through prefill and cached decode', async () => {
    const { weights } = testWeights(cfg, 5);
    const path = join(dir, 'roundtrip.onnx');
    await exportOnnx(path, cfg, weights);
    const file = await loadOnnxDecoder(path, { threads: 1 });
    const mem = await Decoder.create(cfg, weights, { threads: 1, logits: 'all' });
    const tokens = [4, 8, 15, 16, 23, 42, 7];
    const prefill = (d: Decoder): DecoderCall => ({
      B: 1, S: 5, past: d.emptyPast(1),
      inputIds: BigInt64Array.from(tokens.slice(0, 5), BigInt), attentionMask: new BigInt64Array(5).fill(1n), positionIds: BigInt64Array.from([0n, 1n, 2n, 3n, 4n]),
    });
    const [a, b] = [await file.run(prefill(file)), await mem.run(prefill(mem))];
    let maxdiff = maxAbsDiff(a.logits, b.logits);
    const step = (past: ort.Tensor[], i: number): DecoderCall => ({
      B: 1, S: 1, past, inputIds: BigInt64Array.of(BigInt(tokens[i]!)), attentionMask: new BigInt64Array(i + 1).fill(1n), positionIds: BigInt64Array.of(BigInt(i)),
    });
    let [pa, pb] = [a.present, b.present];
    const decoded: Float32Array[] = [];
    for (const i of [5, 6]) {
      const [sa, sb] = [await file.run(step(pa, i)), await mem.run(step(pb, i))];
      maxdiff = Math.max(maxdiff, maxAbsDiff(sa.logits, sb.logits));
      decoded.push(sa.logits.slice());
      [pa, pb] = [sa.present, sb.present];
    }
    console.log(`maxdiff ${maxdiff.toExponential(1)} ≤ tol 1e-5 (exported file vs in-engine decoder, f32)`);
    expect(maxdiff).toBeLessThanOrEqual(1e-5);
    // And both are the model: the file's cached decode matches llamaForward over the whole sequence.
    const ref = await referenceLogits(cfg, weights, tokens);
    const V = cfg.vocabSize;
    const refDiff = Math.max(...decoded.map((d, k) => maxAbsDiff(d, ref.subarray((5 + k) * V, (6 + k) * V))));
    console.log(`maxdiff ${refDiff.toExponential(1)} ≤ tol 1e-5 (exported file, cached decode vs llamaForward)`);
    expect(refDiff).toBeLessThanOrEqual(1e-5);
  });

  it('rejects a file it did not write, saying how to make one', async () => {
    const path = join(dir, 'not-onnx.onnx');
    await (await import('node:fs/promises')).writeFile(path, new Uint8Array([1, 2, 3, 4, 5]));
    await expect(readOnnxExport(path)).rejects.toThrow(/exportOnnx/);
  });
});
