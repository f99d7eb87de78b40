/**
 * LoRA fine-tuning checkpoints: one directory, written atomically, that is also a PEFT adapter:
 *
 *   adapter_config.json        \  the adapter in PEFT's layout (formats/peft.ts): the directory loads
 *   adapter_model.safetensors  /  with PeftModel.from_pretrained as it is
 *   optimizer.safetensors      AdamW's moments of the adapter, `<PEFT name>.exp_avg` / `.exp_avg_sq`,
 *                              in the same layout as the adapter tensors
 *   state.json                 step counters, configs, schedule, AdamW settings, the dropout PRNG
 *                              state, and the base's fingerprint
 *
 * The frozen base is not saved (it is an input of the run, often shared by many adapters); its
 * fingerprint lets a resume refuse a different base.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeNewFolderAtomically, writeTextDurably } from '../formats/atomic-write.js';
import { PEFT_FILES, fromPeftTensors, toPeftTensors, writePeftFiles } from '../formats/peft.js';
import { SafetensorsFile, writeSafetensors } from '../formats/safetensors.js';
import { loraConfigSchema } from '../nn/lora.js';
import { llamaConfigSchema } from '../nn/presets.js';
import type { LoraOptimizerState } from '../optim/lora-train-step.js';
import { lrScheduleSchema } from '../optim/schedule.js';

export const LORA_CHECKPOINT_FILES = { ...PEFT_FILES, optimizer: 'optimizer.safetensors', state: 'state.json' } as const;

const count = z.number().int().min(0);
const u32 = z.number().int().min(0).max(2 ** 32 - 1);

/** state.json of a LoRA checkpoint, validated on resume. */
export const loraTrainerStateSchema = z
  .object({
    format: z.literal('crucible-lora-checkpoint'),
    version: z.literal(1),
    step: count, // trainer steps taken (skipped ones included)
    optimizerStep: count, // updates applied (AdamW's t)
    config: llamaConfigSchema, // the base model's shape
    lora: loraConfigSchema,
    base: z.object({ fingerprint: z.string(), name: z.string().nullable() }).strict(),
    shape: z.object({ batch: z.number().int().positive(), seqLen: z.number().int().positive(), microBatches: z.number().int().positive() }).strict(),
    schedule: lrScheduleSchema,
    adamw: z.object({ beta1: z.number(), beta2: z.number(), eps: z.number(), weightDecay: z.number(), maxGradNorm: z.number().positive().nullable() }).strict(),
    seed: count,
    maxNonFiniteInARow: z.number().int().positive(),
    dropout: z.tuple([u32, u32, u32, u32]).nullable(), // the mask PRNG's state; null without dropout
    counters: z.object({ skippedSteps: count, nonFiniteInARow: count, tokensSeen: count }).strict(),
  })
  .strict();

export type LoraTrainerState = z.infer<typeof loraTrainerStateSchema>;

/** Writes a LoRA checkpoint directory atomically. Fails if `dir` already exists. */
export async function writeLoraCheckpoint(dir: string, opt: LoraOptimizerState, state: LoraTrainerState): Promise<void> {
  const s = loraTrainerStateSchema.parse(state);
  await writeNewFolderAtomically(dir, async (tmp) => {
    await writePeftFiles(tmp, s.config, s.lora, opt.params, s.base.name);
    const moments = new Map([...toPeftTensors(s.config, s.lora, opt.m, '.exp_avg'), ...toPeftTensors(s.config, s.lora, opt.v, '.exp_avg_sq')]);
    await writeSafetensors(join(tmp, LORA_CHECKPOINT_FILES.optimizer), moments, { metadata: { format: 'pt' } });
    await writeTextDurably(join(tmp, LORA_CHECKPOINT_FILES.state), `${JSON.stringify(s, null, 2)}\n`);
  });
}

/** Reads a LoRA checkpoint: its validated state.json, the adapter and both moments as flat [Na] buffers. */
export async function readLoraCheckpoint(dir: string): Promise<{ state: LoraTrainerState; optimizer: LoraOptimizerState }> {
  const path = join(dir, LORA_CHECKPOINT_FILES.state);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new Error(`Cannot resume from ${dir}: ${path} is missing or not JSON (${(err as Error).message}); is it a LoRA checkpoint (not a bare PEFT adapter)?`);
  }
  const parsed = loraTrainerStateSchema.safeParse(json);
  if (!parsed.success) throw new Error(`Cannot resume from ${dir}: state.json is malformed (${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')})`);
  const state = parsed.data;
  const read = async (file: string, fn: (f: SafetensorsFile) => Promise<Float32Array[]>): Promise<Float32Array[]> => {
    const f = await SafetensorsFile.open(join(dir, file));
    try {
      return await fn(f);
    } finally {
      await f.close();
    }
  };
  const [params] = await read(LORA_CHECKPOINT_FILES.weights, async (f) => [await fromPeftTensors(f, state.config, state.lora, { exhaustive: true })]);
  const [m, v] = await read(LORA_CHECKPOINT_FILES.optimizer, async (f) => [
    await fromPeftTensors(f, state.config, state.lora, { suffix: '.exp_avg' }),
    await fromPeftTensors(f, state.config, state.lora, { suffix: '.exp_avg_sq' }),
  ]);
  return { state, optimizer: { params: params!, m: m!, v: v!, step: state.optimizerStep, dropout: state.dropout } };
}
