/**
 * LoRA adapters in Hugging Face PEFT's layout, so `PeftModel.from_pretrained(base, dir)` loads what we
 * train and we load what PEFT trains (Llama targets, plain LoRA):
 *
 *   adapter_config.json        peft_type LORA, task_type CAUSAL_LM, r, lora_alpha, lora_dropout,
 *                              target_modules (q_proj … down_proj), bias none, fan_in_fan_out false, …
 *   adapter_model.safetensors  base_model.model.model.layers.N.self_attn.q_proj.lora_A.weight [r, in]
 *                              base_model.model.model.layers.N.self_attn.q_proj.lora_B.weight [out, r]
 *
 * PEFT stores nn.Linear weights [out_features, in_features]; ours are [in, out] (y = x @ W), so both
 * A [in, r] and B [r, out] are transposed on the way out and back on the way in.
 * The directory is written atomically (a temp sibling, then one rename) and never overwritten.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { LORA_HF_MODULES, type LoraConfig, type LoraParamSpec, type LoraTarget, loraNumParams, loraParamSpecs, loraSpecSize, parseLoraConfig } from '../nn/lora.js';
import type { LlamaConfig } from '../nn/presets.js';
import { writeNewFolderAtomically, writeTextDurably } from './atomic-write.js';
import { FormatError } from './format-error.js';
import { SafetensorsFile, type SafetensorsTensor, writeSafetensors } from './safetensors.js';

export const PEFT_FILES = { config: 'adapter_config.json', weights: 'adapter_model.safetensors' } as const;

const HF_TO_TARGET = new Map(Object.entries(LORA_HF_MODULES).map(([ours, hf]) => [hf, ours as LoraTarget]));

/** The PEFT tensor name of an adapter tensor: base_model.model.<base weight>.lora_A.weight. */
export function peftTensorName(spec: LoraParamSpec): string {
  return `base_model.model.${spec.hfName.replace(/\.weight$/, '')}.lora_${spec.kind}.weight`;
}

/** adapter_config.json as PEFT writes it for plain LoRA on a causal LM. */
export function peftAdapterConfig(lora: LoraConfig, baseModel: string | null): Record<string, unknown> {
  return {
    peft_type: 'LORA',
    task_type: 'CAUSAL_LM',
    base_model_name_or_path: baseModel,
    r: lora.r,
    lora_alpha: lora.alpha,
    lora_dropout: lora.dropout,
    target_modules: lora.targets.map((t) => LORA_HF_MODULES[t]),
    bias: 'none',
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: lora.init === 'gaussian' ? 'gaussian' : true,
    use_rslora: false,
    use_dora: false,
    modules_to_save: null,
    layers_to_transform: null,
    layers_pattern: null,
    rank_pattern: {},
    alpha_pattern: {},
  };
}

const off = (what: string) => z.literal(false, { message: `${what} is not supported; only plain LoRA adapters load` }).optional();
const none = (what: string) => z.union([z.null(), z.undefined()], { message: `${what} is not supported; the adapter must cover every layer's target modules` });
const empty = (what: string) => z.record(z.string(), z.unknown()).refine((r) => Object.keys(r).length === 0, `${what} (per-module rank or alpha) is not supported`).optional();

/** The fields we read; PEFT writes more (revision, megatron_config, …), which are ignored. */
const adapterConfigSchema = z.looseObject({
  peft_type: z.literal('LORA', { message: 'peft_type must be "LORA" (other PEFT methods are not supported)' }),
  task_type: z.union([z.literal('CAUSAL_LM'), z.null()], { message: 'task_type must be "CAUSAL_LM" (or null)' }).optional(),
  base_model_name_or_path: z.string().nullable().optional(),
  r: z.number().int().positive('r must be a positive integer'),
  lora_alpha: z.number().positive('lora_alpha must be > 0'),
  lora_dropout: z.number().min(0).lt(1).default(0),
  target_modules: z.union([z.array(z.string()).min(1), z.string()], { message: 'target_modules must be a list of module names' }),
  bias: z.literal('none', { message: 'bias must be "none" (adapters with trained biases are not supported)' }).default('none'),
  fan_in_fan_out: z.literal(false, { message: 'fan_in_fan_out must be false (Llama linears are nn.Linear, not Conv1D)' }).default(false),
  use_rslora: off('use_rslora (scaling alpha/√r)'),
  use_dora: off('use_dora'),
  layers_to_transform: none('layers_to_transform'),
  modules_to_save: none('modules_to_save'),
  rank_pattern: empty('rank_pattern'),
  alpha_pattern: empty('alpha_pattern'),
});

/** target_modules (HF names, or PEFT's "all-linear") → our targets; unknown modules are refused. */
function targetsFrom(modules: string | string[], path: string): LoraTarget[] {
  if (modules === 'all-linear') return Object.values(HF_TO_TARGET);
  if (typeof modules === 'string') throw new FormatError('bad_header', `${path}: target_modules is the pattern ${JSON.stringify(modules)}; only a list of module names (or "all-linear") is supported, e.g. ["q_proj", "v_proj"]`);
  return modules.map((m) => {
    const t = HF_TO_TARGET.get(m);
    if (!t) throw new FormatError('bad_header', `${path}: target module "${m}" is not a Llama linear this engine adapts (${[...HF_TO_TARGET.keys()].join(', ')}); retrain the adapter on those modules`);
    return t;
  });
}

/** [rows, cols] row-major → [cols, rows] row-major. */
function transpose2d(src: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(src.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = src[r * cols + c]!;
  return out;
}

/** A flat adapter-layout buffer [Na] (adapters, or an Adam moment) as PEFT-named tensors; `suffix` is appended. */
export function toPeftTensors(cfg: LlamaConfig, lora: LoraConfig, flat: Float32Array, suffix = ''): Map<string, SafetensorsTensor> {
  const n = loraNumParams(cfg, lora);
  if (flat.length !== n) throw new FormatError('bad_input', `PEFT adapter: the buffer has ${flat.length} values, r=${lora.r} on ${lora.targets.join(',')} needs ${n}`);
  const out = new Map<string, SafetensorsTensor>();
  let at = 0;
  for (const s of loraParamSpecs(cfg, lora)) {
    const [rows, cols] = s.shape;
    out.set(peftTensorName(s) + suffix, { dtype: 'F32', shape: [cols, rows], data: transpose2d(flat.subarray(at, (at += rows * cols)), rows, cols) });
  }
  return out;
}

/**
 * Reads PEFT-named tensors (F32, F16 or BF16) into a flat [Na] buffer, checking every shape; with
 * `exhaustive`, a tensor the config does not account for (another module or layer) is an error.
 */
export async function fromPeftTensors(file: SafetensorsFile, cfg: LlamaConfig, lora: LoraConfig, opts: { suffix?: string; exhaustive?: boolean } = {}): Promise<Float32Array> {
  const suffix = opts.suffix ?? '';
  const specs = loraParamSpecs(cfg, lora);
  const out = new Float32Array(loraNumParams(cfg, lora));
  const expected = new Set(specs.map((s) => peftTensorName(s) + suffix));
  const present = new Set(file.names);
  if (opts.exhaustive) {
    const extra = file.names.filter((n) => !expected.has(n));
    if (extra.length > 0) {
      throw new FormatError('bad_tensor', `${file.path}: ${extra.length} tensor(s) that the config's target modules (${lora.targets.map((t) => LORA_HF_MODULES[t]).join(', ')}) and ${cfg.layers} layers do not account for, e.g. "${extra[0]}"; the adapter was made for another model or has modules this engine does not adapt`);
    }
  }
  let at = 0;
  for (const s of specs) {
    const name = peftTensorName(s) + suffix;
    if (!present.has(name)) throw new FormatError('bad_tensor', `${file.path}: no tensor "${name}"; the adapter must cover target ${LORA_HF_MODULES[s.target]} in every layer (0..${cfg.layers - 1})`);
    const t = await file.read(name, { as: 'float32' });
    const [rows, cols] = s.shape; // ours; PEFT's is [cols, rows]
    const rank = s.kind === 'A' ? t.shape[0] : t.shape[1];
    if (t.shape.length === 2 && rank !== lora.r) {
      throw new FormatError('bad_tensor', `${file.path}: rank mismatch: "${name}" has rank ${rank} but adapter_config.json says r=${lora.r}; the files belong to different adapters`);
    }
    if (t.shape.length !== 2 || t.shape[0] !== cols || t.shape[1] !== rows) {
      throw new FormatError('bad_tensor', `${file.path}: "${name}" is [${t.shape}], the model needs [${cols},${rows}] (PEFT's [out, in]); was the adapter trained on another base model?`);
    }
    out.set(transpose2d(t.data as Float32Array, cols, rows), at);
    at += loraSpecSize(s);
  }
  return out;
}

export interface PeftAdapter {
  lora: LoraConfig;
  adapters: Float32Array; // [Na], loraParamSpecs layout
  baseModel: string | null;
}

/** Writes `dir` with adapter_config.json + adapter_model.safetensors, atomically. Fails if `dir` exists. */
export async function savePeftAdapter(dir: string, cfg: LlamaConfig, lora: LoraConfig, adapters: Float32Array, opts: { baseModel?: string | null } = {}): Promise<void> {
  await writeNewFolderAtomically(dir, (tmp) => writePeftFiles(tmp, cfg, lora, adapters, opts.baseModel ?? null));
}

/** Writes the two PEFT files into an existing (temp) directory; savePeftAdapter is the atomic entry point. */
export async function writePeftFiles(dir: string, cfg: LlamaConfig, lora: LoraConfig, adapters: Float32Array, baseModel: string | null): Promise<void> {
  await writeSafetensors(join(dir, PEFT_FILES.weights), toPeftTensors(cfg, lora, adapters), { metadata: { format: 'pt' } });
  await writeTextDurably(join(dir, PEFT_FILES.config), `${JSON.stringify(peftAdapterConfig(lora, baseModel), null, 2)}\n`);
}

/** Reads a PEFT LoRA adapter for a model of `cfg`, refusing anything it cannot apply exactly. */
export async function loadPeftAdapter(dir: string, cfg: LlamaConfig): Promise<PeftAdapter> {
  const path = join(dir, PEFT_FILES.config);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new FormatError('bad_header', `${path} is missing or not JSON (${(err as Error).message}); a PEFT adapter directory holds ${PEFT_FILES.config} and ${PEFT_FILES.weights}`);
  }
  const parsed = adapterConfigSchema.safeParse(json);
  if (!parsed.success) throw new FormatError('bad_header', `${path}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  const c = parsed.data;
  const lora = parseLoraConfig({ r: c.r, alpha: c.lora_alpha, dropout: c.lora_dropout, targets: [...new Set(targetsFrom(c.target_modules, path))] });
  const file = await SafetensorsFile.open(join(dir, PEFT_FILES.weights));
  try {
    return { lora, adapters: await fromPeftTensors(file, cfg, lora, { exhaustive: true }), baseModel: c.base_model_name_or_path ?? null };
  } finally {
    await file.close();
  }
}
