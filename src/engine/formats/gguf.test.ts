import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gguf as hfGguf, serializeGgufMetadata } from '@huggingface/gguf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initLlamaParams, llamaParamSpecs } from '../nn/llama.js';
import type { LlamaConfig } from '../nn/presets.js';
import { FormatError } from './format-error.js';
import { GGML_TYPES, type GgufValue } from './gguf-constants.js';
import { exportGguf, importGguf, type GgufExportType } from './gguf-llama.js';
import { decodeGgml, encodeGgml } from './gguf-quant.js';
import { GgufFile } from './gguf-reader.js';
import { writeGguf } from './gguf-writer.js';
import { float32ToF16 } from './half.js';
import { llamaLogits, maxAbsDiff } from './test-logits.js';
import { buildByteLevelBpeTokenizer, parseTokenizerJson } from './tokenizer-json.js';

const cfg: LlamaConfig = { vocabSize: 288, hidden: 64, layers: 2, heads: 4, kvHeads: 2, ffn: 128, maxSeqLen: 64, ropeTheta: 500_000, normEps: 1e-5, tiedEmbeddings: false };
const tokenizer = buildByteLevelBpeTokenizer({ vocabSize: cfg.vocabSize });
const rows = [[5, 100, 7, 260, 3, 3, 42, 11, 200, 17], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]];

let dir: string;
beforeAll(async () => {
  dir = join(tmpdir(), `test-${randomUUID()}`);
  await mkdir(dir, { recursive: true });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
const tmp = (name: string) => join(dir, `${randomUUID()}-${name}`);

const block = Float32Array.from({ length: 32 }, (_, j) => j - 16); // −16 … 15

describe('ggml block quantization', () => {
  it('Q4_0: f16 scale d = max/−8, value j in the low nibble and j+16 in the high nibble, offset by 8', () => {
    // Worked by hand from ggml's definition: max = −16 → d = 2, q = min(15, trunc(x/2 + 8.5)).
    const bytes = encodeGgml('Q4_0', block);
    expect(bytes.length).toBe(18);
    expect([bytes[0], bytes[1]]).toEqual([0x00, 0x40]); // f16 2.0
    expect(bytes[2]).toBe(0x80); // x0 = −16 → 0 (low), x16 = 0 → 8 (high)
    expect(bytes[2 + 15]).toBe(0xf8); // x15 = −1 → 8 (low), x31 = 15 → min(15, 16) (high)
    const back = decodeGgml('Q4_0', bytes, 32);
    expect(back[0]).toBe(-16);
    expect(back[16]).toBe(0);
    expect(back[31]).toBe(14); // (15 − 8)·2: the top value clips by half a step
  });

  it('Q8_0: f16 scale d = max|x|/127, int8 q = round(x/d)', () => {
    const bytes = encodeGgml('Q8_0', block);
    expect(bytes.length).toBe(34);
    const d16 = float32ToF16(Float32Array.of(16 / 127))[0]!;
    expect(bytes[0]! | (bytes[1]! << 8)).toBe(d16);
    expect(bytes[2]).toBe(0x81); // −127 as int8
    expect(bytes[2 + 16]).toBe(0);
    expect(bytes[2 + 31]).toBe(119); // round(15·127/16) = round(119.06)
  });

  it('dequantization errors stay within one quantization step per block', () => {
    let seed = 1;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
    const x = Float32Array.from({ length: 32 * 64 }, (_, i) => rand() * (1 + (i >> 5))); // blocks of growing range
    for (const [type, steps] of [['Q8_0', 127], ['Q4_0', 8]] as const) {
      const back = decodeGgml(type, encodeGgml(type, x), x.length);
      let worst = 0;
      for (let b = 0; b < 64; b++) {
        const amax = Math.max(...Array.from(x.subarray(b * 32, b * 32 + 32), Math.abs));
        for (let j = 0; j < 32; j++) worst = Math.max(worst, Math.abs(back[b * 32 + j]! - x[b * 32 + j]!) / (amax / steps));
      }
      console.log(`${type}: worst error ${worst.toFixed(3)} steps (≤ 1 step = amax/${steps})`);
      expect(worst).toBeLessThanOrEqual(1);
    }
    expect(() => encodeGgml('Q8_0', new Float32Array(40))).toThrow(/whole blocks of 32/);
  });
});

describe('GGUF export → import', () => {
  const params = initLlamaParams(cfg, 11, 0.2);

  it('f32 is exact: same config, params, tokenizer and logits', async () => {
    const path = tmp('f32.gguf');
    const { tensorTypes } = await exportGguf(path, cfg, params, tokenizer);
    expect(new Set(Object.values(tensorTypes))).toEqual(new Set(['F32']));
    const back = await importGguf(path);
    expect(back.config).toEqual(cfg);
    expect(back.params).toEqual(params);
    const ours = parseTokenizerJson(tokenizer);
    const theirs = parseTokenizerJson(back.tokenizerJson!);
    expect(theirs.tokens).toEqual(ours.tokens);
    expect(theirs.merges).toEqual(ours.merges);
    expect([...theirs.added.keys()]).toEqual([...ours.added.keys()]);
    const diff = maxAbsDiff(await llamaLogits(cfg, params, rows), await llamaLogits(back.config, back.params, rows));
    console.log(`gguf f32 logits maxdiff ${diff.toExponential(1)} ≤ tol 1e-5`);
    expect(diff).toBeLessThanOrEqual(1e-5);
  });

  // Tolerances relative to the logits' size, about 2× what was measured on these random weights
  // (std 0.2, a harsh case): f16 0.0013, q8_0 0.040, q4_0 0.47 — each step in line with the
  // quantization step (f16 2⁻¹¹·|w|, q8_0 amax/127, q4_0 amax/8 per 32-value block).
  const tolerances: Array<[GgufExportType, number]> = [['f16', 8 * 2 ** -11], ['q8_0', 0.08], ['q4_0', 0.8]];
  for (const [type, rel] of tolerances)
    it(`${type} keeps logits within ${rel.toPrecision(2)}·max|logit|`, async () => {
      const path = tmp(`${type}.gguf`);
      const { tensorTypes } = await exportGguf(path, cfg, params, tokenizer, { type });
      expect(tensorTypes['blk.0.attn_norm.weight']).toBe('F32'); // norm scales stay f32
      expect(tensorTypes['blk.1.attn_q.weight']).toBe(type.toUpperCase());
      const back = await importGguf(path);
      expect(back.tensorTypes).toEqual(tensorTypes);
      const reference = await llamaLogits(cfg, params, rows);
      const scale = reference.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      const diff = maxAbsDiff(reference, await llamaLogits(back.config, back.params, rows));
      console.log(`gguf ${type} logits maxdiff ${diff.toExponential(2)} ≤ tol ${(rel * scale).toExponential(2)} (${(diff / scale).toFixed(4)}·max|logit|, max|logit| ${scale.toFixed(2)})`);
      expect(diff).toBeLessThanOrEqual(rel * scale);
      expect(diff).toBeGreaterThan(0);
    });

  it('falls back to F16 for matrices whose rows are not whole 32-value blocks; tied models have no output', async () => {
    const odd: LlamaConfig = { ...cfg, ffn: 48, tiedEmbeddings: true };
    const p = initLlamaParams(odd, 2, 0.2);
    const path = tmp('odd.gguf');
    const { tensorTypes } = await exportGguf(path, odd, p, tokenizer, { type: 'q8_0' });
    expect(tensorTypes['blk.0.ffn_down.weight']).toBe('F16'); // ne0 = ffn = 48
    expect(tensorTypes['blk.0.ffn_up.weight']).toBe('Q8_0'); // ne0 = hidden = 64
    expect(tensorTypes['output.weight']).toBeUndefined();
    const back = await importGguf(path);
    expect(back.config).toEqual(odd);
  });
});

describe('GGUF files read by @huggingface/gguf (an independent reader)', () => {
  it('sees our metadata, types and tensor infos', async () => {
    const path = tmp('hf.gguf');
    await exportGguf(path, cfg, initLlamaParams(cfg, 1), tokenizer, { type: 'q8_0', name: 'tiny-test' });
    const { metadata, tensorInfos, tensorDataOffset, typedMetadata } = await hfGguf(path, { allowLocalFile: true, typedMetadata: true });
    expect(metadata.version).toBe(3);
    expect(metadata['general.architecture']).toBe('llama');
    const m = metadata as unknown as Record<string, unknown>;
    expect(m['general.name']).toBe('tiny-test');
    expect(m['general.file_type']).toBe(7); // MOSTLY_Q8_0
    expect(m['general.alignment']).toBe(32);
    expect(m['llama.context_length']).toBe(64);
    expect(m['llama.embedding_length']).toBe(64);
    expect(m['llama.block_count']).toBe(2);
    expect(m['llama.feed_forward_length']).toBe(128);
    expect(m['llama.attention.head_count']).toBe(4);
    expect(m['llama.attention.head_count_kv']).toBe(2);
    expect(m['llama.rope.dimension_count']).toBe(16);
    expect(m['llama.rope.freq_base']).toBe(500_000);
    expect(m['llama.attention.layer_norm_rms_epsilon']).toBeCloseTo(1e-5, 10);
    expect(m['llama.vocab_size']).toBe(288);
    expect(m['tokenizer.ggml.model']).toBe('gpt2');
    expect((m['tokenizer.ggml.tokens'] as string[]).length).toBe(288);
    expect((m['tokenizer.ggml.tokens'] as string[])[32]).toBe('Ġ'); // the space byte, GPT-2 alphabet
    expect((typedMetadata as unknown as Record<string, { type: number }>)['llama.rope.freq_base']!.type).toBe(6); // FLOAT32

    const ours = await GgufFile.open(path);
    try {
      expect(tensorInfos.map((t) => t.name)).toEqual(ours.tensors.map((t) => t.name));
      expect(tensorInfos.map((t) => t.shape.map(Number))).toEqual(ours.tensors.map((t) => t.dims));
      expect(tensorInfos.map((t) => t.dtype)).toEqual(ours.tensors.map((t) => GGML_TYPES[t.type].id));
      expect(tensorInfos.map((t) => Number(tensorDataOffset + t.offset))).toEqual(ours.tensors.map((t) => t.offset));
      expect(tensorInfos.find((t) => t.name === 'blk.1.attn_k.weight')!.shape.map(Number)).toEqual([64, 32]); // [C, NKV·HS] in ggml order
      expect(tensorInfos.find((t) => t.name === 'token_embd.weight')!.shape.map(Number)).toEqual([64, 288]);
    } finally {
      await ours.close();
    }
  });

  it('our reader parses metadata that @huggingface/gguf serializes', async () => {
    const path = tmp('meta.gguf');
    await exportGguf(path, cfg, initLlamaParams(cfg, 1), tokenizer, { type: 'q4_0' });
    const { typedMetadata } = await hfGguf(path, { allowLocalFile: true, typedMetadata: true });
    // Their writer emits the header and metadata only, so the copy declares no tensors.
    const copy = tmp('copy.gguf');
    const header = { ...typedMetadata, tensor_count: { ...typedMetadata.tensor_count, value: 0n } } as typeof typedMetadata;
    await writeFile(copy, serializeGgufMetadata(header));
    const [ours, theirs] = [await GgufFile.open(path), await GgufFile.open(copy)];
    try {
      expect(theirs.tensors).toEqual([]);
      expect([...theirs.metadata]).toEqual([...ours.metadata]);
    } finally {
      await ours.close();
      await theirs.close();
    }
  });
});

describe('GGUF: bad input gets clear errors', () => {
  let good: string;
  let bytes: Uint8Array;
  beforeAll(async () => {
    good = tmp('good.gguf');
    await exportGguf(good, cfg, initLlamaParams(cfg, 1), tokenizer);
    bytes = new Uint8Array(await readFile(good));
  });
  const variant = async (edit: (b: Uint8Array) => Uint8Array): Promise<string> => {
    const path = tmp('bad.gguf');
    await writeFile(path, edit(bytes.slice()));
    return path;
  };
  const expectError = async (path: string, code: string, message: RegExp): Promise<void> => {
    const err = await importGguf(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FormatError);
    expect((err as FormatError).code).toBe(code);
    expect((err as Error).message).toMatch(message);
  };

  it('truncated files: inside the data and inside the header', async () => {
    await expectError(await variant((b) => b.subarray(0, b.length - 100)), 'truncated', /tensor "output\.weight" ends at byte \d+ but the file has \d+; the file is truncated/);
    await expectError(await variant((b) => b.subarray(0, 4000)), 'truncated', /ends inside its header/);
    await expectError(await variant((b) => b.subarray(0, 10)), 'file_too_small', /10 bytes is too small/);
  });

  it('wrong magic and unsupported versions', async () => {
    await expectError(await variant((b) => (b.set([0x7b, 0x22, 0x61, 0x22]), b)), 'bad_magic', /not a GGUF file \(the first 4 bytes are 7b 22 61 22/);
    await expectError(await variant((b) => (b.set([1, 0, 0, 0], 4), b)), 'unsupported_version', /GGUF version 1 is not supported/);
    await expectError(await variant((b) => (b.set([9, 0, 0, 0], 4), b)), 'unsupported_version', /GGUF version 9/);
  });

  it('a tensor type this reader does not decode (Q4_K) names the tensor and what to do', async () => {
    // Patch the type of "output_norm.weight" in its tensor info: name, u32 n_dims = 1, u64 dim, u32 type.
    const name = new TextEncoder().encode('output_norm.weight');
    const find = (b: Uint8Array): number => b.findIndex((_, i) => name.every((c, j) => b[i + j] === c));
    const path = await variant((b) => {
      const typeAt = find(b) + name.length + 4 + 8;
      expect(new DataView(b.buffer).getUint32(typeAt, true)).toBe(0); // F32, as written
      new DataView(b.buffer).setUint32(typeAt, 12, true); // GGML_TYPE_Q4_K
      return b;
    });
    await expectError(path, 'unsupported_dtype', /tensor "output_norm\.weight" has ggml type 12.*re-quantize it with llama-quantize/);
  });

  it('a missing tensor, a wrong architecture and a misshapen tensor', async () => {
    const file = await GgufFile.open(good);
    const meta = [...file.metadata] as Array<[string, GgufValue]>;
    const raw = new Map<string, Uint8Array>();
    for (const t of file.tensors) raw.set(t.name, await file.readRaw(t.name));
    const infos = file.tensors;
    await file.close();
    const rewrite = async (edit: { drop?: string; meta?: Array<[string, GgufValue]> }): Promise<string> => {
      const path = tmp('rewritten.gguf');
      await writeGguf(path, {
        metadata: edit.meta ?? meta,
        tensors: infos.filter((t) => t.name !== edit.drop).map((t) => ({ name: t.name, dims: t.dims, type: t.type, encode: () => raw.get(t.name)! })),
      });
      return path;
    };
    // The unchanged rewrite imports: the test's own plumbing is sound.
    expect((await importGguf(await rewrite({}))).config).toEqual(cfg);
    await expectError(await rewrite({ drop: 'blk.1.attn_q.weight' }), 'bad_tensor', /no tensor "blk\.1\.attn_q\.weight"/);
    const arch = meta.map(([k, v]): [string, GgufValue] => [k, k === 'general.architecture' ? { type: 'string', value: 'qwen2' } : v]);
    await expectError(await rewrite({ meta: arch }), 'bad_input', /general\.architecture is "qwen2"; only "llama"/);
    const ffn = meta.map(([k, v]): [string, GgufValue] => [k, k === 'llama.feed_forward_length' ? { type: 'u32', value: 96 } : v]);
    await expectError(await rewrite({ meta: ffn }), 'bad_tensor', /"blk\.0\.ffn_gate\.weight" has ggml dims \[64, 128\] but the config needs \[64, 96\]/);
    // A SentencePiece tokenizer (llama.cpp's "llama" model) is not rebuilt, but the weights still import.
    const spm = meta.map(([k, v]): [string, GgufValue] => [k, k === 'tokenizer.ggml.model' ? { type: 'string', value: 'llama' } : v]);
    const fromSpm = await importGguf(await rewrite({ meta: spm }));
    expect([fromSpm.tokenizerModel, fromSpm.tokenizerJson, fromSpm.config]).toEqual(['llama', undefined, cfg]);
    const scaled = [...meta, ['llama.rope.scaling.type', { type: 'string', value: 'yarn' }] as [string, GgufValue]];
    await expectError(await rewrite({ meta: scaled }), 'bad_input', /rope\.scaling\.type is "yarn"/);
  });

  it('the writer refuses what it cannot store, leaving no file', async () => {
    const path = tmp('never.gguf');
    await expect(exportGguf(path, cfg, new Float32Array(10), tokenizer)).rejects.toThrow(/flat buffer has 10 values/);
    await expect(exportGguf(path, { ...cfg, vocabSize: 260 }, initLlamaParams({ ...cfg, vocabSize: 260 }), tokenizer)).rejects.toThrow(/tokenizer has 288 tokens/);
    await expect(writeGguf(path, { metadata: [], tensors: [{ name: 'w', dims: [48], type: 'Q8_0', encode: () => new Uint8Array(0) }] })).rejects.toThrow(/whole blocks of 32/);
    await expect(readFile(path)).rejects.toThrow(/ENOENT/);
    expect(llamaParamSpecs(cfg).length).toBe(2 + 9 * 2 + 1); // (the specs the writer walked)
  });
});
