/**
 * Training checkpoints: one directory, written atomically (a temp sibling, then one rename), holding
 *
 *   model.safetensors      the weights under their Hugging Face names, in Hugging Face's layout
 *                          (linear weights [out, in]), so the file loads as LlamaForCausalLM's state dict
 *   optimizer.safetensors  AdamW's moments, per parameter, as `<hf name>.exp_avg` / `.exp_avg_sq`
 *                          (PyTorch's names), in the same layout as the weights
 *   state.json             everything else a resume needs: step counters, config, batch shape,
 *                          schedule, AdamW settings, the sampler's cursor (its PRNG state)
 *
 * A reader never sees a half-written checkpoint under its final name; a crash leaves only a
 * `.<name>.tmp-*` sibling. Checkpoints are never overwritten: saving to an existing directory fails.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { samplerCursorSchema } from '../data/batch-sampler.js';
import { writeNewFolderAtomically, writeTextDurably } from '../formats/atomic-write.js';
import { SafetensorsFile, writeSafetensors, type SafetensorsTensor } from '../formats/safetensors.js';
import { llamaParamSpecs, type ParamSpec } from '../nn/llama.js';
import { llamaConfigSchema } from '../nn/presets.js';
import type { OptimizerState } from '../optim/train-step.js';
import { lrScheduleSchema } from '../optim/schedule.js';

export const CHECKPOINT_FILES = { model: 'model.safetensors', optimizer: 'optimizer.safetensors', state: 'state.json' } as const;

const count = z.number().int().min(0);

/** state.json, validated on resume. */
export const trainerStateSchema = z
  .object({
    format: z.literal('crucible-train-checkpoint'),
    version: z.literal(1),
    step: count, // trainer steps taken (skipped ones included): the next step is step + 1
    optimizerStep: count, // updates applied (AdamW's t, for bias correction)
    config: llamaConfigSchema,
    shape: z.object({ batch: z.number().int().positive(), seqLen: z.number().int().positive(), microBatches: z.number().int().positive() }).strict(),
    schedule: lrScheduleSchema,
    adamw: z.object({ beta1: z.number(), beta2: z.number(), eps: z.number(), weightDecay: z.number(), maxGradNorm: z.number().positive().nullable() }).strict(),
    seed: count,
    maxNonFiniteInARow: z.number().int().positive(),
    sampler: samplerCursorSchema.nullable(), // null when batches were passed in by the caller
    counters: z.object({ skippedSteps: count, nonFiniteInARow: count, tokensSeen: count }).strict(),
  })
  .strict();

export type TrainerState = z.infer<typeof trainerStateSchema>;

const numel = (s: ParamSpec): number => s.shape.reduce((a, b) => a * b, 1);

/** [rows, cols] row-major → [cols, rows] row-major. */
function transpose2d(src: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(src.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = src[r * cols + c]!;
  return out;
}

/** One flat [N] buffer as Hugging Face-named tensors in HF layout; `suffix` is appended to each name. */
function toHfTensors(specs: ParamSpec[], flat: Float32Array, suffix = ''): Map<string, SafetensorsTensor> {
  const out = new Map<string, SafetensorsTensor>();
  let at = 0;
  for (const s of specs) {
    const view = flat.subarray(at, (at += numel(s)));
    const [a, b] = s.shape as [number, number];
    out.set(s.hfName + suffix, s.hfTransposed ? { dtype: 'F32', shape: [b, a], data: transpose2d(view, a, b) } : { dtype: 'F32', shape: [...s.shape], data: view });
  }
  return out;
}

/** Reads HF-named tensors back into a flat [N] buffer in the engine's layout, checking every shape. */
async function fromHfTensors(file: SafetensorsFile, specs: ParamSpec[], into: Float32Array, suffix = ''): Promise<void> {
  let at = 0;
  for (const s of specs) {
    const name = s.hfName + suffix;
    const t = await file.read(name);
    const want = s.hfTransposed ? [s.shape[1]!, s.shape[0]!] : s.shape;
    if (t.dtype !== 'F32' || t.shape.join(',') !== want.join(',')) {
      throw new Error(`${file.path}: tensor "${name}" is ${t.dtype} [${t.shape}], the model needs F32 [${want}]; was the checkpoint made for another config?`);
    }
    const data = t.data as Float32Array;
    into.set(s.hfTransposed ? transpose2d(data, want[0]!, want[1]!) : data, at);
    at += numel(s);
  }
}

/** Writes a checkpoint directory atomically. Fails if `dir` already exists. */
export async function writeCheckpoint(dir: string, opt: OptimizerState, state: TrainerState): Promise<void> {
  const specs = llamaParamSpecs(state.config);
  const existsError = (): Error => new Error(`checkpoint ${dir} already exists; checkpoints are never overwritten, save to a new directory (e.g. step-${String(state.step).padStart(6, '0')})`);
  await writeNewFolderAtomically(dir, async (tmp) => {
    const metadata = { format: 'pt' }; // what transformers expects of a PyTorch state dict
    await writeSafetensors(join(tmp, CHECKPOINT_FILES.model), toHfTensors(specs, opt.params), { metadata });
    const moments = new Map([...toHfTensors(specs, opt.m, '.exp_avg'), ...toHfTensors(specs, opt.v, '.exp_avg_sq')]);
    await writeSafetensors(join(tmp, CHECKPOINT_FILES.optimizer), moments, { metadata });
    await writeTextDurably(join(tmp, CHECKPOINT_FILES.state), `${JSON.stringify(trainerStateSchema.parse(state), null, 2)}\n`);
  }, existsError);
}

/** Reads a checkpoint: its validated state.json and the parameters + moments as flat [N] buffers. */
export async function readCheckpoint(dir: string): Promise<{ state: TrainerState; optimizer: OptimizerState }> {
  const path = join(dir, CHECKPOINT_FILES.state);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new Error(`Cannot resume from ${dir}: ${path} is missing or not JSON (${(err as Error).message})`);
  }
  const parsed = trainerStateSchema.safeParse(json);
  if (!parsed.success) {
    throw new Error(`Cannot resume from ${dir}: state.json is malformed (${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')})`);
  }
  const state = parsed.data;
  const specs = llamaParamSpecs(state.config);
  const N = specs.reduce((n, s) => n + numel(s), 0);
  const optimizer: OptimizerState = { params: new Float32Array(N), m: new Float32Array(N), v: new Float32Array(N), step: state.optimizerStep };
  const model = await SafetensorsFile.open(join(dir, CHECKPOINT_FILES.model));
  try {
    await fromHfTensors(model, specs, optimizer.params);
  } finally {
    await model.close();
  }
  const moments = await SafetensorsFile.open(join(dir, CHECKPOINT_FILES.optimizer));
  try {
    await fromHfTensors(moments, specs, optimizer.m, '.exp_avg');
    await fromHfTensors(moments, specs, optimizer.v, '.exp_avg_sq');
  } finally {
    await moments.close();
  }
  return { state, optimizer };
}
