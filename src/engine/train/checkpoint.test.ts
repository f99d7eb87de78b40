import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SafetensorsFile } from '../formats/safetensors.js';
import { llamaParamSpecs } from '../nn/llama.js';
import type { LlamaConfig } from '../nn/presets.js';
import { ADAMW_DEFAULTS } from '../optim/adamw.js';
import { readCheckpoint, writeCheckpoint, type TrainerState } from './checkpoint.js';

const cfg: LlamaConfig = { vocabSize: 16, hidden: 8, layers: 1, heads: 2, kvHeads: 1, ffn: 12, maxSeqLen: 8, ropeTheta: 10000, normEps: 1e-5, tiedEmbeddings: false };
const N = llamaParamSpecs(cfg).reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
const ramp = (offset: number): Float32Array => Float32Array.from({ length: N }, (_, i) => offset + i / 1024);
const state: TrainerState = {
  format: 'crucible-train-checkpoint',
  version: 1,
  step: 12,
  optimizerStep: 11,
  config: cfg,
  shape: { batch: 2, seqLen: 8, microBatches: 1 },
  schedule: { kind: 'constant', lr: 1e-3 },
  adamw: ADAMW_DEFAULTS,
  seed: 3,
  maxNonFiniteInARow: 5,
  sampler: null,
  counters: { skippedSteps: 1, nonFiniteInARow: 0, tokensSeen: 192 },
};

let dir: string;
beforeAll(async () => {
  dir = join(tmpdir(), `test-${randomUUID()}`);
  await mkdir(dir, { recursive: true });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('checkpoints', () => {
  it('round-trip parameters, both moments and the state exactly; weights are in Hugging Face layout', async () => {
    const ckpt = join(dir, 'a');
    const opt = { params: ramp(0), m: ramp(100), v: ramp(200), step: 11 };
    await writeCheckpoint(ckpt, opt, state);
    const back = await readCheckpoint(ckpt);
    expect(back.state).toEqual(state);
    expect(back.optimizer.step).toBe(11);
    for (const k of ['params', 'm', 'v'] as const) expect(Buffer.from(back.optimizer[k].buffer).equals(Buffer.from(opt[k].buffer))).toBe(true);

    // wq is stored [in, out] = [C, C] in the engine; HF's q_proj.weight is [out, in]: element (o, i) = wq[i, o].
    const specs = llamaParamSpecs(cfg);
    const at = specs.slice(0, specs.findIndex((s) => s.name === 'layers.0.wq')).reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0); // wq's offset
    const file = await SafetensorsFile.open(join(ckpt, 'model.safetensors'));
    const q = await file.read('model.layers.0.self_attn.q_proj.weight');
    const k = await file.read('model.layers.0.self_attn.k_proj.weight');
    expect(q.shape).toEqual([8, 8]);
    expect(k.shape).toEqual([4, 8]); // one KV head of size 4: [KV·HS, C]
    expect(q.data[1 * 8 + 2]).toBe(opt.params[at + 2 * 8 + 1]); // HF (o=1, i=2) = engine (i=2, o=1)
    expect(file.metadata).toEqual({ format: 'pt' });
    await file.close();
  });

  it('refuses to overwrite, leaves no temp dir behind, and names what is wrong on a bad resume', async () => {
    const ckpt = join(dir, 'b');
    const opt = { params: ramp(0), m: ramp(1), v: ramp(2), step: 11 };
    await writeCheckpoint(ckpt, opt, state);
    await expect(writeCheckpoint(ckpt, opt, state)).rejects.toThrow(/already exists; checkpoints are never overwritten, save to a new directory \(e\.g\. step-000012\)/);
    expect((await readdir(dir)).filter((f) => f.includes('.tmp-'))).toEqual([]);

    await writeFile(join(ckpt, 'state.json'), JSON.stringify({ ...state, step: -1 }));
    await expect(readCheckpoint(ckpt)).rejects.toThrow(/state\.json is malformed \(step: /);
    await writeFile(join(ckpt, 'state.json'), JSON.stringify({ ...state, config: { ...cfg, hidden: 16, heads: 2 } }));
    await expect(readCheckpoint(ckpt)).rejects.toThrow(/tensor "model\.embed_tokens\.weight" is F32 \[16,8\], the model needs F32 \[16,16\]; was the checkpoint made for another config\?/);
    await expect(readCheckpoint(join(dir, 'missing'))).rejects.toThrow(/state\.json is missing or not JSON/);
  });
});
