/**
 * A compiled inference decoder: the decoder graph with its weights baked in as initializers, in one
 * cached ONNX Runtime session. Baking (rather than feeding weights every call) lets ONNX Runtime
 * pre-pack the MatMul weights once, and makes each decode call feed only tokens and the cache.
 */
import type { Graph } from '../graph/graph.js';
import type { TensorData } from '../graph/tensor.js';
import { type EmittedModel, emitModel } from '../onnx/emit.js';
import { Session, ort } from '../onnx/session.js';
import { llamaParamSpecs } from '../nn/llama.js';
import type { LlamaConfig } from '../nn/presets.js';
import { DECODER_IO, type DecoderGraphOptions, buildDecoderGraph } from './decoder-graph.js';

/** Weights by graph param name ('embed', 'layers.0.wq', …, plus whatever a LinearFactory declares). */
export type DecoderWeights = Record<string, TensorData>;

/** Views of a flat buffer laid out as llamaParamSpecs(cfg) (the trainer's layout), by name. */
export function llamaWeights(cfg: LlamaConfig, flat: Float32Array): DecoderWeights {
  const out: DecoderWeights = {};
  let at = 0;
  for (const s of llamaParamSpecs(cfg)) out[s.name] = flat.subarray(at, (at += s.shape.reduce((a, b) => a * b, 1)));
  if (at !== flat.length) throw new Error(`llamaWeights: expected ${at} floats for this config, got ${flat.length}; was the buffer made for another config?`);
  return out;
}

/** Emits the decoder graph with `weights` baked in: a self-contained model of the export contract. */
export function emitDecoderModel(cfg: LlamaConfig, weights: DecoderWeights, opts: DecoderGraphOptions = {}): EmittedModel {
  return emitWithWeights(buildDecoderGraph(cfg, opts).graph, weights);
}

/** Emits an inference graph with every param it declares baked in from `weights` (all must be there). */
export function emitWithWeights(graph: Graph, weights: DecoderWeights): EmittedModel {
  const missing = graph.inputs().filter((i) => i.kind === 'param' && !weights[i.name]).map((i) => i.name);
  if (missing.length) throw new Error(`decoder: no weights for ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}`);
  const bake: DecoderWeights = {};
  for (const i of graph.inputs()) if (i.kind === 'param') bake[i.name] = weights[i.name]!;
  return emitModel(graph, { bake });
}

/** One call's host data: B sequences of S new tokens over a cache of P columns. */
export interface DecoderCall {
  B: number;
  S: number;
  inputIds: BigInt64Array; // [B, S]
  attentionMask: BigInt64Array; // [B, P+S]
  positionIds: BigInt64Array; // [B, S]
  past: ort.Tensor[]; // [key0, value0, key1, …], each [B, NKV, P, HS]
}

export interface DecoderOptions extends DecoderGraphOptions {
  threads?: number;
}

export class Decoder {
  private constructor(
    readonly cfg: LlamaConfig,
    readonly session: Session,
    /** Logits per call: 'last' gives [B, 1, V], 'all' [B, S, V]. */
    readonly logits: 'all' | 'last',
  ) {}

  /** Compiles (or reuses, via the session cache) the decoder for a config and its weights. */
  static async create(cfg: LlamaConfig, weights: DecoderWeights, opts: DecoderOptions = {}): Promise<Decoder> {
    const model = emitDecoderModel(cfg, weights, opts);
    return Decoder.fromModel(cfg, model, { ...opts, logits: opts.logits ?? 'all' });
  }

  /** A decoder over an emitted or exported model of the export contract (see formats/onnx-export.ts). */
  static async fromModel(cfg: LlamaConfig, model: EmittedModel, opts: { threads?: number; logits?: 'all' | 'last' } = {}): Promise<Decoder> {
    const session = await Session.create(model, { threads: opts.threads });
    return new Decoder(cfg, session, opts.logits ?? 'all');
  }

  get headSize(): number {
    return this.cfg.hidden / this.cfg.heads;
  }

  /** Runs one call. */
  async run(call: DecoderCall): Promise<{ logits: Float32Array; present: ort.Tensor[] }> {
    const { B, S } = call;
    const P = call.attentionMask.length / B - S;
    const { layers: L } = this.cfg;
    if (call.inputIds.length !== B * S || call.positionIds.length !== B * S || !Number.isInteger(P) || P < 0)
      throw new Error(`decoder: input_ids and position_ids need B·S = ${B}·${S} values and attention_mask B·(P+S); got ${call.inputIds.length}, ${call.positionIds.length}, ${call.attentionMask.length}`);
    if (P + S > this.cfg.maxSeqLen) throw new Error(`decoder: ${P + S} positions exceed maxSeqLen ${this.cfg.maxSeqLen}; shorten the prompt or max_tokens`);
    const feeds: Record<string, ort.Tensor> = {
      [DECODER_IO.inputIds]: new ort.Tensor('int64', call.inputIds, [B, S]),
      [DECODER_IO.attentionMask]: new ort.Tensor('int64', call.attentionMask, [B, P + S]),
      [DECODER_IO.positionIds]: new ort.Tensor('int64', call.positionIds, [B, S]),
    };
    for (let l = 0; l < L; l++) {
      feeds[DECODER_IO.pastKey(l)] = call.past[2 * l]!;
      feeds[DECODER_IO.pastValue(l)] = call.past[2 * l + 1]!;
    }
    // NOTE: no preallocated outputs: onnxruntime-node copies every output into a new buffer anyway.
    const r = await this.session.ort.run(feeds);
    const present: ort.Tensor[] = [];
    for (let l = 0; l < L; l++) present.push(r[DECODER_IO.presentKey(l)]!, r[DECODER_IO.presentValue(l)]!);
    return { logits: r[DECODER_IO.logits]!.data as Float32Array, present };
  }

  /** An empty cache (P = 0) for B sequences. */
  emptyPast(B: number): ort.Tensor[] {
    const dims = [B, this.cfg.kvHeads, 0, this.headSize];
    return Array.from({ length: 2 * this.cfg.layers }, () => new ort.Tensor('float32', new Float32Array(0), dims));
  }
}
