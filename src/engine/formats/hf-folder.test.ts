import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initLlamaParams, llamaParamSpecs } from '../nn/llama.js';
import type { LlamaConfig } from '../nn/presets.js';
import { FormatError } from './format-error.js';
import { exportHfFolder, importHfFolder } from './hf-folder.js';
import { readSafetensors, writeSafetensors } from './safetensors.js';
import { llamaLogits, maxAbsDiff } from './test-logits.js';
import { buildByteLevelBpeTokenizer } from './tokenizer-json.js';

const cfg: LlamaConfig = { vocabSize: 272, hidden: 32, layers: 2, heads: 4, kvHeads: 2, ffn: 48, maxSeqLen: 32, ropeTheta: 10_000, normEps: 1e-5, tiedEmbeddings: false };
const tied: LlamaConfig = { ...cfg, tiedEmbeddings: true };
const tokenizerJson = buildByteLevelBpeTokenizer({ vocabSize: cfg.vocabSize });
const rows = [[5, 100, 7, 260, 3, 3, 42, 11], [0, 1, 2, 3, 4, 5, 6, 7]];

let dir: string;
beforeAll(async () => {
  dir = join(tmpdir(), `test-${randomUUID()}`);
  await mkdir(dir, { recursive: true });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
const out = () => join(dir, `hf-${randomUUID()}`);
const readJson = async (path: string): Promise<Record<string, unknown>> => JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;

describe('Hugging Face folder: export → import', () => {
  const params = initLlamaParams(cfg, 7, 0.2);

  it('f32 round trip is exact: same config, same params, same logits', async () => {
    const path = out();
    await exportHfFolder(path, cfg, params, { tokenizerJson });
    expect((await readdir(path)).sort()).toEqual(['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
    const back = await importHfFolder(path);
    expect(back.config).toEqual(cfg);
    expect(back.dtype).toBe('F32');
    expect(back.tokenizerJson).toEqual(tokenizerJson);
    expect(back.params).toEqual(params);
    const diff = maxAbsDiff(await llamaLogits(cfg, params, rows), await llamaLogits(back.config, back.params, rows));
    console.log(`hf f32 logits maxdiff ${diff.toExponential(1)} ≤ tol 1e-5`);
    expect(diff).toBeLessThanOrEqual(1e-5);
  });

  // Rounding each weight to a relative precision ε (f16: 2⁻¹¹, bf16: 2⁻⁸) moves the logits by a few ε
  // times their size; the tolerance is 8ε·max|logit| (measured: ≈ 2.5ε).
  for (const [dtype, eps] of [['float16', 2 ** -11], ['bfloat16', 2 ** -8]] as const)
    it(`${dtype} round trip keeps logits within 8ε·max|logit|`, async () => {
      const path = out();
      await exportHfFolder(path, cfg, params, { tokenizerJson, dtype });
      const back = await importHfFolder(path);
      expect(back.dtype).toBe(dtype === 'float16' ? 'F16' : 'BF16');
      expect((await readJson(join(path, 'config.json'))).torch_dtype).toBe(dtype);
      const reference = await llamaLogits(cfg, params, rows);
      const scale = reference.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      const diff = maxAbsDiff(reference, await llamaLogits(back.config, back.params, rows));
      const tol = 8 * eps * scale;
      console.log(`hf ${dtype} logits maxdiff ${diff.toExponential(2)} ≤ tol ${tol.toExponential(2)} (= ${(diff / (eps * scale)).toFixed(2)}ε·max|logit|, max|logit| ${scale.toFixed(2)})`);
      expect(diff).toBeLessThanOrEqual(tol);
      expect(diff).toBeGreaterThan(0); // the dtype really was narrower than f32
    });

  it('writes HF names and [out, in] linears, and the JSON files transformers reads', async () => {
    const path = out();
    await exportHfFolder(path, cfg, params, { tokenizerJson });
    const { tensors, metadata } = await readSafetensors(join(path, 'model.safetensors'));
    expect(metadata).toEqual({ format: 'pt' });
    expect(tensors.get('model.layers.0.self_attn.q_proj.weight')!.shape).toEqual([4 * 8, 32]); // [NH·HS, C]
    expect(tensors.get('model.layers.1.self_attn.k_proj.weight')!.shape).toEqual([2 * 8, 32]); // [NKV·HS, C]
    expect(tensors.get('model.layers.0.mlp.down_proj.weight')!.shape).toEqual([32, 48]); // [C, F]
    expect(tensors.get('model.embed_tokens.weight')!.shape).toEqual([272, 32]);
    expect(tensors.get('lm_head.weight')!.shape).toEqual([272, 32]);
    // Element [o, i] of the HF tensor is element [i, o] of ours.
    const specs = llamaParamSpecs(cfg);
    let at = 0;
    for (const s of specs) {
      if (s.name === 'layers.0.w_up') break;
      at += s.shape.reduce((a, b) => a * b, 1);
    }
    const up = tensors.get('model.layers.0.mlp.up_proj.weight')!.data as Float32Array; // [F, C]
    expect(up[5 * 32 + 3]).toBe(params[at + 3 * 48 + 5]);

    const config = await readJson(join(path, 'config.json'));
    expect(config).toMatchObject({
      architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: 32, intermediate_size: 48, num_hidden_layers: 2,
      num_attention_heads: 4, num_key_value_heads: 2, head_dim: 8, rms_norm_eps: 1e-5, rope_theta: 10_000, vocab_size: 272,
      max_position_embeddings: 32, tie_word_embeddings: false, torch_dtype: 'float32', hidden_act: 'silu', attention_bias: false, mlp_bias: false,
      bos_token_id: 269, eos_token_id: 269, // <|endoftext|>: the builder's first special token (id V − 3)
    });
    const tokConfig = await readJson(join(path, 'tokenizer_config.json'));
    expect(tokConfig.eos_token).toBe('<|endoftext|>');
    expect(tokConfig.chat_template).toContain('<|im_start|>');
    expect(await readJson(join(path, 'generation_config.json'))).toEqual({ bos_token_id: 269, eos_token_id: [269, 271], pad_token_id: null });
  });

  it('tied embeddings: no lm_head tensor, and it reads back tied', async () => {
    const p = initLlamaParams(tied, 3, 0.2);
    const path = out();
    await exportHfFolder(path, tied, p, { tokenizerJson });
    const { tensors } = await readSafetensors(join(path, 'model.safetensors'));
    expect(tensors.has('lm_head.weight')).toBe(false);
    const back = await importHfFolder(path);
    expect(back.config.tiedEmbeddings).toBe(true);
    expect(back.params).toEqual(p);
  });

  it('reads sharded checkpoints (model.safetensors.index.json) and bf16 shards', async () => {
    const path = out();
    await exportHfFolder(path, cfg, params, { tokenizerJson, dtype: 'bfloat16', maxShardBytes: 8_000 });
    const files = (await readdir(path)).filter((f) => f.endsWith('.safetensors')).sort();
    console.log(`sharded export: ${files.length} shards (${files[0]} … ${files[files.length - 1]})`);
    expect(files.length).toBeGreaterThan(2);
    const index = await readJson(join(path, 'model.safetensors.index.json'));
    expect(Object.keys(index.weight_map as object).length).toBe(llamaParamSpecs(cfg).length);
    const single = out();
    await exportHfFolder(single, cfg, params, { tokenizerJson, dtype: 'bfloat16' });
    expect((await importHfFolder(path)).params).toEqual((await importHfFolder(single)).params);
  });

  it('caps maxSeqLen at the caller\'s value', async () => {
    const path = out();
    await exportHfFolder(path, cfg, params, { tokenizerJson });
    expect((await importHfFolder(path, { maxSeqLen: 16 })).config.maxSeqLen).toBe(16);
  });
});

describe('Hugging Face folder: refusals', () => {
  const params = initLlamaParams(cfg, 1);
  /** An exported folder with config.json edited by `edit`. */
  async function withConfig(edit: (c: Record<string, unknown>) => void): Promise<string> {
    const path = out();
    await exportHfFolder(path, cfg, params, { tokenizerJson });
    const c = await readJson(join(path, 'config.json'));
    edit(c);
    await writeFile(join(path, 'config.json'), JSON.stringify(c));
    return path;
  }
  const expectRefusal = async (path: string, message: RegExp): Promise<void> => {
    const err = await importHfFolder(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FormatError);
    expect((err as Error).message).toMatch(message);
  };

  it('refuses configs Crucible cannot compute, naming the field', async () => {
    await expectRefusal(await withConfig((c) => (c.rope_scaling = { rope_type: 'llama3', factor: 8 })), /rope_scaling .* not supported/);
    await expectRefusal(await withConfig((c) => (c.attention_bias = true)), /attention_bias is true/);
    await expectRefusal(await withConfig((c) => (c.mlp_bias = true)), /mlp_bias is true/);
    await expectRefusal(await withConfig((c) => (c.hidden_act = 'gelu')), /hidden_act "gelu" is not supported/);
    await expectRefusal(await withConfig((c) => (c.head_dim = 16)), /head_dim 16 differs/);
    await expectRefusal(await withConfig((c) => ((c.model_type = 'gpt2'), (c.architectures = ['GPT2LMHeadModel']))), /not a Llama/);
  });

  it('refuses missing, misshapen and unexpected tensors', async () => {
    await expectRefusal(await withConfig((c) => (c.num_hidden_layers = 3)), /missing tensors model\.layers\.2\./);
    await expectRefusal(await withConfig((c) => (c.intermediate_size = 64)), /"model\.layers\.0\.mlp\.gate_proj\.weight" has shape \[48, 32\] but config\.json implies \[64, 32\]/);
    const path = out();
    await exportHfFolder(path, cfg, params, { tokenizerJson });
    const { tensors } = await readSafetensors(join(path, 'model.safetensors'));
    tensors.set('model.layers.0.self_attn.q_proj.bias', { dtype: 'F32', shape: [32], data: new Float32Array(32) });
    await writeSafetensors(join(path, 'model.safetensors'), tensors, { metadata: { format: 'pt' } });
    await expectRefusal(path, /unexpected tensors model\.layers\.0\.self_attn\.q_proj\.bias/);
  });

  it('says what to do when there are no safetensors weights', async () => {
    const path = out();
    await mkdir(path);
    await writeFile(join(path, 'config.json'), JSON.stringify({ model_type: 'llama', hidden_size: 32, num_attention_heads: 4, num_hidden_layers: 1, intermediate_size: 48, vocab_size: 272 }));
    await writeFile(join(path, 'pytorch_model.bin'), 'x');
    await expectRefusal(path, /only pytorch_model\.bin.*safe_serialization=True/);
  });

  it('exports atomically: a bad export leaves nothing, and a non-empty folder is never overwritten', async () => {
    const parent = out();
    await mkdir(parent);
    const target = join(parent, 'model');
    await expect(exportHfFolder(target, cfg, params.subarray(1), { tokenizerJson })).rejects.toThrow(/flat buffer has/);
    await expect(exportHfFolder(target, { ...cfg, vocabSize: 200 }, initLlamaParams({ ...cfg, vocabSize: 200 }), { tokenizerJson })).rejects.toThrow(/tokenizer has 272 tokens/);
    expect(await readdir(parent)).toEqual([]);
    await exportHfFolder(target, cfg, params, { tokenizerJson });
    await expect(exportHfFolder(target, cfg, params, { tokenizerJson })).rejects.toThrow(/not empty/);
  });
});
