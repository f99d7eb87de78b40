/**
 * The compiled step graph (step-graph.ts) with its weights baked in, in one cached ONNX Runtime session:
 * what batched decoding and the generation engine run. Baking lets ONNX Runtime pre-pack the MatMul
 * weights once; each call feeds only tokens, lengths and the cache (inputs are read in place, not copied).
 */
import type { EmittedModel } from '../onnx/emit.js';
import { Session, ort } from '../onnx/session.js';
import type { LlamaConfig } from '../nn/presets.js';
import type { LinearFactory } from './decoder-graph.js';
import { type DecoderWeights, emitWithWeights } from './decoder.js';
import { STEP_IO, buildStepGraph } from './step-graph.js';

/** One call's host data: B rows of S new tokens (right-padded) over a cache of M columns. */
export interface StepCall {
  B: number;
  S: number;
  inputIds: BigInt64Array; // [B, S]
  newLengths: BigInt64Array; // [B]
  cacheLengths: BigInt64Array; // [B]
  logitRows: BigInt64Array; // [R], indices into the B·S positions
  cache: readonly ort.Tensor[]; // [key0, value0, key1, …], each [B, NKV, M, HS]
}

export interface StepResult {
  logits: Float32Array; // [R, V]
  newKv: ort.Tensor[]; // [key0, value0, …], each [B, NKV, S, HS]
}

/** A step whose rows are all plain greedy: each logits row's argmax, chosen in the graph, instead of the row. */
export interface GreedyStepResult {
  tokens: BigInt64Array; // [R]
  newKv: ort.Tensor[];
}

export interface StepDecoderOptions {
  linear?: LinearFactory;
  threads?: number;
}

/** The step graph with `weights` baked in. */
export function emitStepModel(cfg: LlamaConfig, weights: DecoderWeights, opts: { linear?: LinearFactory } = {}): EmittedModel {
  return emitWithWeights(buildStepGraph(cfg, opts), weights);
}

export class StepDecoder {
  /** The new keys and values' output names, in StepResult.newKv order. */
  private readonly kvNames: string[];

  private constructor(
    readonly cfg: LlamaConfig,
    readonly session: Session,
  ) {
    this.kvNames = Array.from({ length: cfg.layers }, (_, l) => [STEP_IO.newKey(l), STEP_IO.newValue(l)]).flat();
  }

  /** Compiles (or reuses, via the session cache) the step graph for a config and its weights. */
  static async create(cfg: LlamaConfig, weights: DecoderWeights, opts: StepDecoderOptions = {}): Promise<StepDecoder> {
    return StepDecoder.fromModel(cfg, emitStepModel(cfg, weights, opts), opts);
  }

  /** A step decoder over an emitted step model (emitStepModel). */
  static async fromModel(cfg: LlamaConfig, model: EmittedModel, opts: { threads?: number } = {}): Promise<StepDecoder> {
    return new StepDecoder(cfg, await Session.create(model, { threads: opts.threads }));
  }

  get headSize(): number {
    return this.cfg.hidden / this.cfg.heads;
  }

  /** Runs the step; returns the logits rows and the new keys and values. */
  async run(call: StepCall): Promise<StepResult> {
    const r = await this.execute(call, STEP_IO.logits);
    return { logits: r[STEP_IO.logits]!.data as Float32Array, newKv: this.kvNames.map((n) => r[n]!) };
  }

  /**
   * Runs the step and returns each logits row's argmax (the first at ties, as Sampler's argmax) instead of
   * the rows: R ids rather than R·V floats to copy out and scan, for a batch whose rows are all plain greedy.
   */
  async runGreedy(call: StepCall): Promise<GreedyStepResult> {
    const r = await this.execute(call, STEP_IO.greedyTokens);
    return { tokens: r[STEP_IO.greedyTokens]!.data as BigInt64Array, newKv: this.kvNames.map((n) => r[n]!) };
  }

  private async execute(call: StepCall, fetch: string): Promise<ort.InferenceSession.ReturnType> {
    const { B, S } = call;
    const L = this.cfg.layers;
    if (call.inputIds.length !== B * S || call.newLengths.length !== B || call.cacheLengths.length !== B || call.cache.length !== 2 * L)
      throw new Error(`step: expected input_ids of B·S = ${B}·${S}, ${B} lengths of each kind and ${2 * L} cache tensors; got ${call.inputIds.length}, ${call.newLengths.length}, ${call.cacheLengths.length}, ${call.cache.length}`);
    const feeds: Record<string, ort.Tensor> = {
      [STEP_IO.inputIds]: new ort.Tensor('int64', call.inputIds, [B, S]),
      [STEP_IO.newLengths]: new ort.Tensor('int64', call.newLengths, [B]),
      [STEP_IO.cacheLengths]: new ort.Tensor('int64', call.cacheLengths, [B]),
      [STEP_IO.logitRows]: new ort.Tensor('int64', call.logitRows, [call.logitRows.length]),
    };
    for (let l = 0; l < L; l++) {
      feeds[STEP_IO.cacheKey(l)] = call.cache[2 * l]!;
      feeds[STEP_IO.cacheValue(l)] = call.cache[2 * l + 1]!;
    }
    // NOTE: outputs are fetched by name, not preallocated: onnxruntime-node copies outputs into new buffers
    // anyway, so preallocating them would only add a second copy. ONNX Runtime computes every output either
    // way; what is not fetched is not copied.
    return this.session.ort.run(feeds, [fetch, ...this.kvNames]);
  }
}
