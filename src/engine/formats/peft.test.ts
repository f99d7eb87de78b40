import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { initLoraParams, parseLoraConfig } from '../nn/lora.js';
import type { LlamaConfig } from '../nn/presets.js';
import { rng } from '../onnx/gradcheck.js';
import { PEFT_FILES, loadPeftAdapter, savePeftAdapter } from './peft.js';
import { readSafetensors, writeSafetensors } from './safetensors.js';

const cfg: LlamaConfig = { vocabSize: 64, hidden: 32, layers: 2, heads: 4, kvHeads: 2, ffn: 48, maxSeqLen: 16, ropeTheta: 10000, normEps: 1e-5, tiedEmbeddings: false };
const lora = parseLoraConfig({ r: 4, alpha: 8, dropout: 0.05, targets: ['wq', 'wv', 'w_down'] });
const root = await mkdtemp(join(tmpdir(), `peft-test-${randomUUID()}-`));
afterAll(() => rm(root, { recursive: true, force: true }));

/** An adapter with every value non-zero and distinct, so a transposition error shows. */
function adapter(): Float32Array {
  const a = initLoraParams(cfg, lora, 1);
  const r = rng(2);
  for (let i = 0; i < a.length; i++) if (a[i] === 0) a[i] = r.normal();
  return a;
}

async function saved(): Promise<string> {
  const dir = join(root, `a-${randomUUID()}`);
  await savePeftAdapter(dir, cfg, lora, adapter(), { baseModel: 'crucible/tiny-base' });
  return dir;
}

async function editConfig(dir: string, edit: (c: Record<string, unknown>) => void): Promise<void> {
  const path = join(dir, PEFT_FILES.config);
  const c = JSON.parse(await readFile(path, 'utf8'));
  edit(c);
  await writeFile(path, JSON.stringify(c));
}

describe('PEFT adapters', () => {
  it('save → load round-trips bit for bit, in PEFT’s names, layout and config', async () => {
    const a = adapter();
    const dir = join(root, 'round-trip');
    await savePeftAdapter(dir, cfg, lora, a, { baseModel: 'crucible/tiny-base' });
    expect((await readdir(dir)).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
    expect(await readdir(root)).not.toContainEqual(expect.stringContaining('.tmp-'));

    const config = JSON.parse(await readFile(join(dir, PEFT_FILES.config), 'utf8'));
    expect(config).toMatchObject({ peft_type: 'LORA', task_type: 'CAUSAL_LM', r: 4, lora_alpha: 8, lora_dropout: 0.05, target_modules: ['q_proj', 'v_proj', 'down_proj'], bias: 'none', fan_in_fan_out: false, base_model_name_or_path: 'crucible/tiny-base' });

    const { tensors } = await readSafetensors(join(dir, PEFT_FILES.weights));
    expect(tensors.size).toBe(2 * 3 * 2);
    const qA = tensors.get('base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight')!;
    const vB = tensors.get('base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight')!;
    const dA = tensors.get('base_model.model.model.layers.1.mlp.down_proj.lora_A.weight')!;
    expect([qA.shape, vB.shape, dA.shape]).toEqual([[4, 32], [16, 4], [4, 48]]); // [r, in], [out, r]
    // Ours: A [in=32, r=4] first in the buffer; PEFT's lora_A [r, in]: element (j, i) = ours (i, j).
    expect((qA.data as Float32Array)[1 * 32 + 5]).toBe(a[5 * 4 + 1]);

    const back = await loadPeftAdapter(dir, cfg);
    expect(back.lora).toEqual(lora);
    expect(back.baseModel).toBe('crucible/tiny-base');
    expect(Buffer.from(back.adapters.buffer).equals(Buffer.from(a.buffer))).toBe(true);
  });

  it('refuses to overwrite, and leaves nothing behind when a write fails', async () => {
    const dir = await saved();
    await expect(savePeftAdapter(dir, cfg, lora, adapter())).rejects.toThrow(/already exists.*new directory/);
    const bad = join(root, `bad-${randomUUID()}`);
    await expect(savePeftAdapter(bad, cfg, lora, new Float32Array(3))).rejects.toThrow(/has 3 values.*needs/);
    expect((await readdir(root)).filter((n) => n.includes('bad-'))).toEqual([]);
  });

  it('refuses adapters it cannot apply exactly, saying why', async () => {
    const other: LlamaConfig = { ...cfg, hidden: 64, heads: 4 };
    await expect(loadPeftAdapter(await saved(), other)).rejects.toThrow(/is \[4,32\], the model needs \[4,64\].*another base model/);
    await expect(loadPeftAdapter(await saved(), { ...cfg, layers: 3 })).rejects.toThrow(/no tensor "base_model\.model\.model\.layers\.2\./);
    await expect(loadPeftAdapter(await saved(), { ...cfg, layers: 1 })).rejects.toThrow(/do not account for, e\.g\. "base_model\.model\.model\.layers\.1\./);

    const cases: [string, (c: Record<string, unknown>) => void, RegExp][] = [
      ['unknown module', (c) => (c.target_modules = ['q_proj', 'query_key_value']), /target module "query_key_value" is not a Llama linear/],
      ['rank mismatch', (c) => (c.r = 8), /rank mismatch: .* has rank 4 but adapter_config\.json says r=8/],
      ['fewer modules than tensors', (c) => (c.target_modules = ['q_proj', 'v_proj']), /do not account for.*down_proj/],
      ['more modules than tensors', (c) => (c.target_modules = ['q_proj', 'k_proj', 'v_proj', 'down_proj']), /no tensor ".*k_proj\.lora_A\.weight"/],
      ['DoRA', (c) => (c.use_dora = true), /use_dora is not supported/],
      ['another PEFT method', (c) => (c.peft_type = 'IA3'), /peft_type must be "LORA"/],
      ['trained biases', (c) => (c.bias = 'lora_only'), /bias must be "none"/],
      ['regex targets', (c) => (c.target_modules = '.*proj'), /only a list of module names/],
    ];
    for (const [what, edit, message] of cases) {
      const dir = await saved();
      await editConfig(dir, edit);
      await expect(loadPeftAdapter(dir, cfg), what).rejects.toThrow(message);
    }

    const dir = await saved(); // a tensor of the wrong rank in an otherwise consistent file
    const w = join(dir, PEFT_FILES.weights);
    const { tensors } = await readSafetensors(w);
    tensors.set('base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight', { dtype: 'F32', shape: [32, 2], data: new Float32Array(64) });
    await rm(w);
    await writeSafetensors(w, tensors);
    await expect(loadPeftAdapter(dir, cfg)).rejects.toThrow(/rank mismatch: ".*q_proj\.lora_B\.weight" has rank 2/);
  });
});
