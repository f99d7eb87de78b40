/**
 * A Crucible Llama as a GGUF v3 file that llama.cpp loads, and back.
 *
 * Names follow llama.cpp (token_embd, blk.N.attn_norm/attn_q/attn_k/attn_v/attn_output/ffn_norm/
 * ffn_gate/ffn_up/ffn_down, output_norm, output; tied models have no `output`). Matrices are written as
 * Hugging Face's [out, in] rows (ggml dims [in, out]); attn_q/attn_k rows are permuted from rotate_half to
 * interleaved pairs as llama.cpp's converter does (weight-layout.ts). Norm scales stay F32; a matrix
 * whose rows are not whole 32-value blocks falls back from Q8_0/Q4_0 to F16 (as the converter does).
 */
import { FormatError } from './format-error.js';
import { LLAMA_FILE_TYPE, GGUF_DEFAULT_ALIGNMENT, type GgmlType, type GgufValue } from './gguf-constants.js';
import { encodeGgml } from './gguf-quant.js';
import { GgufFile } from './gguf-reader.js';
import { ggufTokenizerMetadata, tokenizerJsonFromGguf } from './gguf-tokenizer.js';
import { writeGguf, type GgufTensorToWrite } from './gguf-writer.js';
import { parseTokenizerJson } from './tokenizer-json.js';
import { permuteRotaryRows, splitParams, transpose2d, unpermuteRotaryRows } from './weight-layout.js';
import { llamaParamSpecs, type ParamSpec } from '../nn/llama.js';
import { parseLlamaConfig, type LlamaConfig } from '../nn/presets.js';

export type GgufExportType = 'f32' | 'f16' | 'q8_0' | 'q4_0';

export interface GgufExportOptions {
  type?: GgufExportType; // default 'f32'
  name?: string; // general.name (default "crucible-llama")
  special?: { bos?: string; eos?: string; pad?: string };
  chatTemplate?: string;
  /** llama.cpp pre-tokenizer name (default "gpt-2"). */
  pre?: string;
}

/** What an export wrote: the ggml type each tensor got (fallbacks included). */
export interface GgufExportResult {
  path: string;
  tensorTypes: Record<string, GgmlType>;
}

const GGML_OF: Record<GgufExportType, GgmlType> = { f32: 'F32', f16: 'F16', q8_0: 'Q8_0', q4_0: 'Q4_0' };

const BLOCK_NAMES: Record<string, string> = {
  attn_norm: 'attn_norm', wq: 'attn_q', wk: 'attn_k', wv: 'attn_v', wo: 'attn_output',
  mlp_norm: 'ffn_norm', w_gate: 'ffn_gate', w_up: 'ffn_up', w_down: 'ffn_down',
};

/** The llama.cpp tensor name of a Crucible parameter ('layers.3.wq' → 'blk.3.attn_q.weight'). */
export function ggufTensorName(paramName: string): string {
  if (paramName === 'embed') return 'token_embd.weight';
  if (paramName === 'norm') return 'output_norm.weight';
  if (paramName === 'lm_head') return 'output.weight';
  const m = /^layers\.(\d+)\.(\w+)$/.exec(paramName);
  const part = m === null ? undefined : BLOCK_NAMES[m[2]!];
  if (m === null || part === undefined) throw new FormatError('bad_input', `gguf: no llama.cpp name for parameter "${paramName}"`);
  return `blk.${m[1]}.${part}.weight`;
}

/** Which row permutation a parameter needs, as a head count (undefined: none). */
function rotaryHeads(spec: ParamSpec, cfg: LlamaConfig): number | undefined {
  if (spec.name.endsWith('.wq')) return cfg.heads;
  if (spec.name.endsWith('.wk')) return cfg.kvHeads;
  return undefined;
}

/** A parameter in the GGUF row layout: [out, in] rows for matrices, q/k permuted. */
function toGgufRows(spec: ParamSpec, data: Float32Array, cfg: LlamaConfig): { dims: number[]; rows: Float32Array } {
  if (spec.shape.length === 1) return { dims: [spec.shape[0]!], rows: data };
  const [a, b] = spec.shape as [number, number];
  if (!spec.hfTransposed) return { dims: [b, a], rows: data }; // the embedding [V, C] is already row-per-token
  let rows = transpose2d(data, a, b); // [out, in]
  const heads = rotaryHeads(spec, cfg);
  if (heads !== undefined) rows = permuteRotaryRows(rows, heads, a);
  return { dims: [a, b], rows };
}

function llamaMetadata(cfg: LlamaConfig, name: string, fileType: GgmlType): Array<[string, GgufValue]> {
  const u32 = (value: number): GgufValue => ({ type: 'u32', value });
  const f32 = (value: number): GgufValue => ({ type: 'f32', value });
  return [
    ['general.architecture', { type: 'string', value: 'llama' }],
    ['general.name', { type: 'string', value: name }],
    ['general.file_type', u32(LLAMA_FILE_TYPE[fileType])],
    ['general.alignment', u32(GGUF_DEFAULT_ALIGNMENT)],
    ['llama.context_length', u32(cfg.maxSeqLen)],
    ['llama.embedding_length', u32(cfg.hidden)],
    ['llama.block_count', u32(cfg.layers)],
    ['llama.feed_forward_length', u32(cfg.ffn)],
    ['llama.attention.head_count', u32(cfg.heads)],
    ['llama.attention.head_count_kv', u32(cfg.kvHeads)],
    ['llama.rope.dimension_count', u32(cfg.hidden / cfg.heads)],
    ['llama.rope.freq_base', f32(cfg.ropeTheta)],
    ['llama.attention.layer_norm_rms_epsilon', f32(cfg.normEps)],
    ['llama.vocab_size', u32(cfg.vocabSize)],
  ];
}

/**
 * Writes a model as a GGUF v3 file llama.cpp loads (atomically). `params` is laid out as
 * llamaParamSpecs(config); `tokenizerJson` is the model's Hugging Face tokenizer.json (byte-level BPE).
 * @example await exportGguf('model-q8_0.gguf', cfg, trainer.params, tokenizerJson, { type: 'q8_0' })
 */
export async function exportGguf(
  path: string,
  config: LlamaConfig,
  params: Float32Array,
  tokenizerJson: string | object,
  options: GgufExportOptions = {},
): Promise<GgufExportResult> {
  const cfg = parseLlamaConfig(config);
  const type = GGML_OF[options.type ?? 'f32'];
  if (type === undefined) throw new FormatError('bad_input', `gguf: unknown export type ${String(options.type)}; choose f32, f16, q8_0 or q4_0`);
  const specs = llamaParamSpecs(cfg);
  const byName = splitParams(params, specs);
  const vocab = parseTokenizerJson(tokenizerJson);
  const tensorTypes: Record<string, GgmlType> = {};
  const tensors: GgufTensorToWrite[] = specs.map((spec) => {
    const name = ggufTensorName(spec.name);
    const dims = spec.shape.length === 1 ? [spec.shape[0]!] : spec.hfTransposed ? [spec.shape[0]!, spec.shape[1]!] : [spec.shape[1]!, spec.shape[0]!];
    const blockOk = dims[0]! % 32 === 0;
    const t: GgmlType = dims.length === 1 ? 'F32' : (type === 'Q8_0' || type === 'Q4_0') && !blockOk ? 'F16' : type;
    tensorTypes[name] = t;
    return { name, dims, type: t, encode: () => encodeGgml(t, toGgufRows(spec, byName.get(spec.name)!, cfg).rows) };
  });
  const metadata = [
    ...llamaMetadata(cfg, options.name ?? 'crucible-llama', type),
    ...ggufTokenizerMetadata(vocab, { vocabSize: cfg.vocabSize, special: options.special, chatTemplate: options.chatTemplate, pre: options.pre }),
  ];
  await writeGguf(path, { metadata, tensors });
  return { path, tensorTypes };
}

/** A model read from a GGUF file: config, dequantized flat params (llamaParamSpecs order), tokenizer. */
export interface ImportedGguf {
  config: LlamaConfig;
  params: Float32Array;
  /** Rebuilt from a "gpt2" tokenizer; undefined for other kinds (see `tokenizerModel`). */
  tokenizerJson: object | undefined;
  /** tokenizer.ggml.model as stored ("gpt2", "llama", …), undefined when the file has no tokenizer. */
  tokenizerModel: string | undefined;
  tensorTypes: Record<string, GgmlType>;
  name: string | undefined;
}

/** The shortest decimal that rounds to the same float32 (1e-5 stored as f32 reads back as 1e-5, not 9.99999974e-6). */
function shortestFloat32(x: number): number {
  for (let digits = 1; digits < 17; digits++) {
    const d = Number(x.toPrecision(digits));
    if (Math.fround(d) === Math.fround(x)) return d;
  }
  return x;
}

function requireNumber(file: GgufFile, key: string, fallback?: number): number {
  const v = file.scalar(key);
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'number' && typeof v !== 'bigint') {
    throw new FormatError('bad_header', `${file.path}: metadata "${key}" is ${v === undefined ? 'missing' : `not a number (${String(v)})`}; the file is not a complete llama GGUF`);
  }
  return file.metadata.get(key)?.type === 'f32' ? shortestFloat32(Number(v)) : Number(v);
}

/** Reads a llama GGUF (ours or llama.cpp's converter's) back into Crucible's layout. */
export async function importGguf(path: string): Promise<ImportedGguf> {
  const file = await GgufFile.open(path);
  try {
    const arch = file.scalar('general.architecture');
    if (arch !== 'llama') {
      throw new FormatError('bad_input', `${path}: general.architecture is ${JSON.stringify(arch)}; only "llama" models can be imported`);
    }
    const scaling = file.scalar('llama.rope.scaling.type');
    if (scaling !== undefined && scaling !== 'none') {
      throw new FormatError('bad_input', `${path}: llama.rope.scaling.type is "${String(scaling)}"; Crucible's RoPE has no scaling — use a model without rope scaling`);
    }
    if (requireNumber(file, 'llama.expert_count', 0) > 0) throw new FormatError('bad_input', `${path}: mixture-of-experts models are not supported`);
    const embed = file.info('token_embd.weight');
    const hidden = requireNumber(file, 'llama.embedding_length');
    const heads = requireNumber(file, 'llama.attention.head_count');
    const cfgInput = {
      vocabSize: requireNumber(file, 'llama.vocab_size', embed.dims[1]),
      hidden,
      layers: requireNumber(file, 'llama.block_count'),
      heads,
      kvHeads: requireNumber(file, 'llama.attention.head_count_kv', heads),
      ffn: requireNumber(file, 'llama.feed_forward_length'),
      maxSeqLen: requireNumber(file, 'llama.context_length'),
      ropeTheta: requireNumber(file, 'llama.rope.freq_base', 10_000),
      normEps: requireNumber(file, 'llama.attention.layer_norm_rms_epsilon'),
      tiedEmbeddings: !file.has('output.weight'),
    };
    const rotaryDims = requireNumber(file, 'llama.rope.dimension_count', hidden / heads);
    if (rotaryDims !== hidden / heads || requireNumber(file, 'llama.attention.key_length', hidden / heads) !== hidden / heads) {
      throw new FormatError('bad_input', `${path}: head size ${hidden / heads} with rope.dimension_count ${rotaryDims}: partial rotary or a head size other than hidden/heads is not supported`);
    }
    let cfg: LlamaConfig;
    try {
      cfg = parseLlamaConfig(cfgInput);
    } catch (err) {
      throw new FormatError('bad_header', `${path}: the llama metadata does not form a valid config (${(err as Error).message})`);
    }
    const specs = llamaParamSpecs(cfg);
    const params = new Float32Array(specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0));
    const tensorTypes: Record<string, GgmlType> = {};
    let at = 0;
    for (const spec of specs) {
      const name = ggufTensorName(spec.name);
      const info = file.info(name);
      const dims = spec.shape.length === 1 ? [spec.shape[0]!] : spec.hfTransposed ? [spec.shape[0]!, spec.shape[1]!] : [spec.shape[1]!, spec.shape[0]!];
      if (info.dims.join(',') !== dims.join(',')) {
        throw new FormatError('bad_tensor', `${path}: tensor "${name}" has ggml dims [${info.dims.join(', ')}] but the config needs [${dims.join(', ')}]`);
      }
      tensorTypes[name] = info.type;
      let rows = await file.readFloat32(name);
      if (spec.shape.length === 2 && spec.hfTransposed) {
        const [inDim, outDim] = spec.shape as [number, number];
        const h = rotaryHeads(spec, cfg);
        if (h !== undefined) rows = unpermuteRotaryRows(rows, h, inDim);
        rows = transpose2d(rows, outDim, inDim); // [out, in] → [in, out]
      }
      params.set(rows, at);
      at += rows.length;
    }
    const name = file.scalar('general.name');
    const tokenizerModel = file.scalar('tokenizer.ggml.model');
    return {
      config: cfg,
      params,
      tokenizerJson: tokenizerJsonFromGguf(file),
      tokenizerModel: typeof tokenizerModel === 'string' ? tokenizerModel : undefined,
      tensorTypes,
      name: typeof name === 'string' ? name : undefined,
    };
  } finally {
    await file.close();
  }
}
