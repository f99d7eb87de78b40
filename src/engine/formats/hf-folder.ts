/**
 * A Hugging Face model folder that `AutoModelForCausalLM.from_pretrained(dir)` loads as LlamaForCausalLM:
 * config.json, model.safetensors (or shards + model.safetensors.index.json), tokenizer.json,
 * tokenizer_config.json and generation_config.json — and the import of such a folder back into
 * Crucible's flat parameter layout, so models already on disk can be fine-tuned.
 *
 * Tensor names are ParamSpec.hfName; linears are transposed to nn.Linear's [out, in]. HF Llama uses
 * rotate_half RoPE, as Crucible does, so q/k need no permutation here (only GGUF needs one).
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFolderAtomically } from './atomic-write.js';
import { FormatError } from './format-error.js';
import { float32ToBf16, float32ToF16 } from './half.js';
import { hfConfigJson, llamaConfigFromHf, type HfDtype } from './hf-config.js';
import { CHATML_TEMPLATE, generationConfigJson, tokenizerConfigJson } from './hf-tokenizer-config.js';
import { SafetensorsFile, writeSafetensors, type SafetensorsTensor } from './safetensors.js';
import { parseTokenizerJson, resolveSpecialTokens } from './tokenizer-json.js';
import { splitParams, transpose2d } from './weight-layout.js';
import { llamaParamSpecs, type ParamSpec } from '../nn/llama.js';
import { parseLlamaConfig, type LlamaConfig } from '../nn/presets.js';

export interface HfExportOptions {
  /** The model's tokenizer.json (string or parsed object). */
  tokenizerJson: string | object;
  dtype?: HfDtype; // default 'float32'
  /** Jinja chat template for tokenizer_config.json (default ChatML). */
  chatTemplate?: string;
  special?: { bos?: string; eos?: string; pad?: string };
  /** Split model.safetensors into shards of at most this many bytes (default: one file). */
  maxShardBytes?: number;
}

/** The HF tensor for one parameter: [out, in] for linears, in the requested dtype. */
function hfTensor(spec: ParamSpec, data: Float32Array, dtype: HfDtype): SafetensorsTensor {
  const [a, b] = spec.shape as [number, number];
  const values = spec.hfTransposed ? transpose2d(data, a, b) : data;
  const shape = spec.hfTransposed ? [b, a] : [...spec.shape];
  if (dtype === 'float16') return { dtype: 'F16', shape, data: float32ToF16(values) };
  if (dtype === 'bfloat16') return { dtype: 'BF16', shape, data: float32ToBf16(values) };
  return { dtype: 'F32', shape, data: values };
}

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

/**
 * Writes a Hugging Face folder for a Crucible Llama, atomically (built under a temp name, then renamed).
 * `dir` must not exist or be empty.
 * @example await exportHfFolder('out/my-model', cfg, trainer.params, { tokenizerJson, dtype: 'bfloat16' })
 */
export async function exportHfFolder(dir: string, config: LlamaConfig, params: Float32Array, options: HfExportOptions): Promise<void> {
  const cfg = parseLlamaConfig(config);
  const dtype = options.dtype ?? 'float32';
  if (!['float32', 'float16', 'bfloat16'].includes(dtype)) throw new FormatError('bad_input', `hf: dtype ${String(dtype)} is not one of float32, float16, bfloat16`);
  const specs = llamaParamSpecs(cfg);
  const byName = splitParams(params, specs);
  const vocab = parseTokenizerJson(options.tokenizerJson);
  if (vocab.tokens.length > cfg.vocabSize) {
    throw new FormatError('bad_input', `hf: the tokenizer has ${vocab.tokens.length} tokens but the model's vocabSize is ${cfg.vocabSize}; use a tokenizer that fits the model`);
  }
  const special = resolveSpecialTokens(vocab, options.special);

  // Pack tensors into shards in parameter order (a new shard when the next tensor would overflow).
  const shards: Array<Map<string, SafetensorsTensor>> = [new Map()];
  let shardBytes = 0;
  let totalBytes = 0;
  for (const spec of specs) {
    const t = hfTensor(spec, byName.get(spec.name)!, dtype);
    const bytes = t.data.byteLength;
    if (options.maxShardBytes !== undefined && shardBytes > 0 && shardBytes + bytes > options.maxShardBytes) {
      shards.push(new Map());
      shardBytes = 0;
    }
    shards[shards.length - 1]!.set(spec.hfName, t);
    shardBytes += bytes;
    totalBytes += bytes;
  }

  await writeFolderAtomically(dir, async (tmp) => {
    // transformers refuses safetensors files without format metadata ("pt" = PyTorch layout).
    const metadata = { format: 'pt' };
    if (shards.length === 1) {
      await writeSafetensors(join(tmp, 'model.safetensors'), shards[0]!, { metadata });
    } else {
      const weightMap: Record<string, string> = {};
      const n = String(shards.length).padStart(5, '0');
      for (const [i, shard] of shards.entries()) {
        const file = `model-${String(i + 1).padStart(5, '0')}-of-${n}.safetensors`;
        await writeSafetensors(join(tmp, file), shard, { metadata });
        for (const name of shard.keys()) weightMap[name] = file;
      }
      await writeFile(join(tmp, 'model.safetensors.index.json'), json({ metadata: { total_size: totalBytes }, weight_map: weightMap }));
    }
    await writeFile(join(tmp, 'config.json'), json(hfConfigJson(cfg, dtype, special)));
    await writeFile(join(tmp, 'generation_config.json'), json(generationConfigJson(vocab, special)));
    await writeFile(join(tmp, 'tokenizer.json'), typeof options.tokenizerJson === 'string' ? options.tokenizerJson : JSON.stringify(options.tokenizerJson));
    await writeFile(join(tmp, 'tokenizer_config.json'), json(tokenizerConfigJson(vocab, special, options.chatTemplate ?? CHATML_TEMPLATE, cfg.maxSeqLen)));
  });
}

/** A model read from a Hugging Face folder, in Crucible's layout. */
export interface ImportedHfFolder {
  config: LlamaConfig;
  /** Flat float32 parameters in llamaParamSpecs(config) order. */
  params: Float32Array;
  /** tokenizer.json, parsed, when the folder has one. */
  tokenizerJson: object | undefined;
  /** The dtype the weights were stored in (from the tensors, not config.json's claim). */
  dtype: 'F32' | 'F16' | 'BF16' | 'mixed';
  hfConfig: Record<string, unknown>;
}

async function readJson(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new FormatError('bad_input', `${path}: missing; a Hugging Face folder needs ${what}`);
    throw err;
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new FormatError('bad_header', `${path}: not valid JSON (${(err as Error).message})`);
  }
}

const exists = (path: string): Promise<boolean> => stat(path).then(() => true, () => false);

/** Tensor name → the safetensors file (in `dir`) that holds it. */
async function weightFiles(dir: string): Promise<Map<string, string>> {
  const index = join(dir, 'model.safetensors.index.json');
  if (await exists(index)) {
    const parsed = (await readJson(index, 'a weight index')) as { weight_map?: unknown };
    if (typeof parsed.weight_map !== 'object' || parsed.weight_map === null) throw new FormatError('bad_header', `${index}: "weight_map" must map tensor names to shard files`);
    return new Map(Object.entries(parsed.weight_map as Record<string, string>).map(([name, file]) => [name, join(dir, String(file))]));
  }
  const single = join(dir, 'model.safetensors');
  if (!(await exists(single))) {
    const bin = await exists(join(dir, 'pytorch_model.bin'));
    throw new FormatError(
      'bad_input',
      `${dir}: no model.safetensors or model.safetensors.index.json${bin ? ' (only pytorch_model.bin, which is not read: pickles can run code)' : ''}; save the model with save_pretrained(dir, safe_serialization=True)`,
    );
  }
  const file = await SafetensorsFile.open(single);
  const names = file.names;
  await file.close();
  return new Map(names.map((n) => [n, single]));
}

/** Tensors a Llama checkpoint may carry that hold no weights Crucible needs (RoPE buffers of old exports). */
const IGNORED = /\.rotary_emb\.inv_freq$/;

/**
 * Reads a Hugging Face Llama folder (f32/f16/bf16, one file or shards) into config + flat params.
 * Refuses configs Crucible cannot compute exactly and tensors that are missing, misshapen or unexpected.
 * `maxSeqLen` caps max_position_embeddings (RoPE tables are built for the sequence length trained on).
 */
export async function importHfFolder(dir: string, options: { maxSeqLen?: number } = {}): Promise<ImportedHfFolder> {
  const configPath = join(dir, 'config.json');
  const hfConfig = (await readJson(configPath, 'config.json')) as Record<string, unknown>;
  const cfg = llamaConfigFromHf(hfConfig, configPath, options);
  const specs = llamaParamSpecs(cfg);
  const files = await weightFiles(dir);

  const expected = new Set(specs.map((s) => s.hfName));
  if (cfg.tiedEmbeddings) expected.add('lm_head.weight'); // tied checkpoints may still carry the (identical) head
  const unexpected = [...files.keys()].filter((n) => !expected.has(n) && !IGNORED.test(n));
  if (unexpected.length > 0) {
    throw new FormatError('bad_tensor', `${dir}: unexpected tensors ${unexpected.slice(0, 5).join(', ')}${unexpected.length > 5 ? ', …' : ''}; Crucible's Llama has no such weights (biases? another architecture?)`);
  }
  const missing = specs.filter((s) => !files.has(s.hfName)).map((s) => s.hfName);
  if (missing.length > 0) {
    throw new FormatError('bad_tensor', `${dir}: missing tensors ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''} (${missing.length} in all); the checkpoint is incomplete or config.json does not describe it`);
  }

  const params = new Float32Array(specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0));
  const dtypes = new Set<string>();
  const open = new Map<string, SafetensorsFile>();
  try {
    let at = 0;
    for (const spec of specs) {
      const path = files.get(spec.hfName)!;
      let file = open.get(path);
      if (file === undefined) {
        file = await SafetensorsFile.open(path);
        open.set(path, file);
      }
      const entry = file.tensors.find((t) => t.name === spec.hfName);
      if (entry === undefined) throw new FormatError('bad_tensor', `${path}: the index says it holds "${spec.hfName}" but it does not; the index is stale`);
      const hfShape = spec.hfTransposed ? [spec.shape[1]!, spec.shape[0]!] : spec.shape;
      if (entry.shape.join(',') !== hfShape.join(',')) {
        throw new FormatError('bad_tensor', `${path}: "${spec.hfName}" has shape [${entry.shape.join(', ')}] but config.json implies [${hfShape.join(', ')}]`);
      }
      if (!['F32', 'F16', 'BF16'].includes(entry.dtype)) {
        throw new FormatError('unsupported_dtype', `${path}: "${spec.hfName}" is ${entry.dtype}; only F32, F16 and BF16 weights are imported (dequantize the checkpoint first)`);
      }
      dtypes.add(entry.dtype);
      const values = await file.readFloat32(spec.hfName);
      params.set(spec.hfTransposed ? transpose2d(values, hfShape[0]!, hfShape[1]!) : values, at);
      at += values.length;
    }
  } finally {
    for (const f of open.values()) await f.close();
  }
  const tokenizerPath = join(dir, 'tokenizer.json');
  const tokenizerJson = (await exists(tokenizerPath)) ? ((await readJson(tokenizerPath, 'tokenizer.json')) as object) : undefined;
  const dtype = dtypes.size === 1 ? ([...dtypes][0] as 'F32' | 'F16' | 'BF16') : 'mixed';
  return { config: cfg, params, tokenizerJson, dtype, hfConfig };
}
