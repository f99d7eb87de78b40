/**
 * ONNX inference export: the KV-cache decoder (generate/decoder-graph.ts) as one self-contained
 * .onnx file, weights as initializers, with the names Hugging Face's ONNX exports use:
 *
 *   input_ids [B,S], attention_mask [B,P+S], position_ids [B,S] (int64),
 *   past_key_values.N.key|value [B,NKV,P,HS]  →  logits [B,S,V], present.N.key|value [B,NKV,P+S,HS]
 *
 * The model config rides along in the file's metadata (`crucible.llama_config`), so loading needs only
 * the file. Protobuf caps a file at 2 GiB; larger models would need ONNX external data (not written).
 */
import { createHash } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import protobuf, { type onnx as proto } from 'onnx-proto';
import type { DType, Shape } from '../graph/shape.js';
import type { EmittedModel } from '../onnx/emit.js';
import { type LlamaConfig, parseLlamaConfig } from '../nn/presets.js';
import type { DecoderGraphOptions } from '../generate/decoder-graph.js';
import { Decoder, type DecoderWeights, emitDecoderModel } from '../generate/decoder.js';
import { FormatError } from './format-error.js';

const { onnx } = protobuf;
const CONFIG_KEY = 'crucible.llama_config';
const MAX_PROTO_BYTES = 2 ** 31 - 1;

export interface OnnxExportOptions {
  /** The linear layers' implementation (quantized weights bring their own initializers). */
  linear?: DecoderGraphOptions['linear'];
}

/** The bytes of the inference model with weights baked in and the config in its metadata. */
export function onnxInferenceModel(cfg: LlamaConfig, weights: DecoderWeights, opts: OnnxExportOptions = {}): EmittedModel {
  const floats = Object.values(weights).reduce((n, w) => n + w.byteLength, 0);
  if (floats > MAX_PROTO_BYTES)
    throw new FormatError('bad_input', `onnx export: ${(floats / 2 ** 30).toFixed(1)} GiB of weights exceed protobuf's 2 GiB limit; quantize the model or export GGUF / safetensors instead`);
  const model = emitDecoderModel(cfg, weights, { linear: opts.linear, logits: 'all' });
  const m = onnx.ModelProto.decode(model.bytes);
  m.metadataProps = [{ key: CONFIG_KEY, value: JSON.stringify(cfg) }];
  const bytes = onnx.ModelProto.encode(m).finish();
  return { ...model, bytes, hash: createHash('sha256').update(bytes).digest('hex') };
}

/** Writes the inference model to `path` (via a temporary file and a rename, so a crash leaves no half file). */
export async function exportOnnx(path: string, cfg: LlamaConfig, weights: DecoderWeights, opts: OnnxExportOptions = {}): Promise<{ bytes: number; sha256: string }> {
  const model = onnxInferenceModel(cfg, weights, opts);
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  try {
    await writeFile(tmp, model.bytes);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  return { bytes: model.bytes.length, sha256: model.hash };
}

/** Reads an exported file: its config and the model (with the input and output signature). */
export async function readOnnxExport(path: string): Promise<{ cfg: LlamaConfig; model: EmittedModel }> {
  const bytes = new Uint8Array(await readFile(path));
  let m: proto.ModelProto;
  try {
    m = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new FormatError('bad_header', `${path}: not an ONNX model (${(e as Error).message}); export it with exportOnnx`);
  }
  const meta = m.metadataProps.find((p) => p.key === CONFIG_KEY);
  if (!meta?.value) throw new FormatError('bad_header', `${path}: no ${CONFIG_KEY} metadata; this file was not written by exportOnnx`);
  const cfg = parseLlamaConfig(JSON.parse(meta.value));
  const sig = (vs: proto.IValueInfoProto[]): { name: string; shape: Shape; dtype: DType }[] =>
    vs.map((v) => ({
      name: v.name!,
      shape: (v.type?.tensorType?.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : Number(d.dimValue))),
      dtype: v.type?.tensorType?.elemType === 7 ? 'int64' : 'float32',
    }));
  return { cfg, model: { bytes, hash: createHash('sha256').update(bytes).digest('hex'), inputs: sig(m.graph!.input!), outputs: sig(m.graph!.output!) } };
}

/** An ONNX Runtime session over an exported file, as a Decoder (logits [B, S, V]). */
export async function loadOnnxDecoder(path: string, opts: { threads?: number } = {}): Promise<Decoder> {
  const { cfg, model } = await readOnnxExport(path);
  return Decoder.fromModel(cfg, model, { threads: opts.threads, logits: 'all' });
}
