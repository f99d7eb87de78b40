import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import type { Graph } from '../graph/graph.js';
import { type DType, type Shape, fmtShape, isStatic, numel } from '../graph/shape.js';
import type { TensorData } from '../graph/tensor.js';
import { type EmittedModel, emitModel } from './emit.js';

export interface SessionOptions {
  /** ONNX Runtime intra-op threads; default: the number of cores. */
  threads?: number;
  /** Execution provider: 'cpu' (default), or 'cuda' where onnxruntime-node was installed with it. */
  provider?: 'cpu' | 'cuda';
  /** Graph optimisation level; default 'all'. */
  optimization?: 'disabled' | 'basic' | 'extended' | 'all';
  /** ONNX Runtime's CPU memory arena (default on: without it every run page-faults its activations afresh). */
  memArena?: boolean;
  /**
   * ONNX Runtime's memory pattern (one block planned for all activations). Off by default: with it, a
   * `tiny` training step peaked at 3.4 GB RSS against 1.9 GB without it (measured, ORT 1.30).
   */
  memPattern?: boolean;
  /** Write ONNX Runtime's per-node profile (JSON) to files with this prefix; see profile.ts. */
  profile?: string;
}

export type Feed = ort.Tensor | TensorData;

const ORT_TYPE: Record<DType, ort.Tensor.Type> = { float32: 'float32', float64: 'float64', int32: 'int32', int64: 'int64', bool: 'bool', uint8: 'uint8' };
const cache = new Map<string, Promise<ort.InferenceSession>>();

/**
 * A compiled graph. Sessions are cached by graph hash and options, so re-tracing the same step is free.
 * @example
 * const s = await Session.create(graph);
 * const out = s.allocOutputs();               // buffers the caller owns
 * await s.run({ x: xData, w: wData }, out);   // results land in out.y.data
 */
/** What a session needs of its model after compiling it: names, shapes and dtypes, not the bytes. */
export type ModelSignature = Omit<EmittedModel, 'bytes'>;

export class Session {
  private constructor(
    readonly model: ModelSignature,
    readonly ort: ort.InferenceSession,
  ) {}

  static async create(graph: Graph | EmittedModel, opts: SessionOptions = {}): Promise<Session> {
    const model = 'bytes' in graph ? graph : emitModel(graph);
    const threads = opts.threads ?? availableParallelism();
    const provider = opts.provider ?? 'cpu';
    const optimization = opts.optimization ?? 'all';
    const memArena = opts.memArena ?? true;
    const memPattern = opts.memPattern ?? false;
    const key = `${model.hash}|${threads}|${provider}|${optimization}|${memArena}|${memPattern}|${opts.profile ?? ''}`;
    let s = cache.get(key);
    if (!s) {
      s = ort.InferenceSession.create(model.bytes, {
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        executionProviders: provider === 'cpu' ? ['cpu'] : [provider, 'cpu'],
        graphOptimizationLevel: optimization,
        enableCpuMemArena: memArena,
        enableMemPattern: memPattern,
        ...(opts.profile ? { enableProfiling: true, profileFilePrefix: opts.profile } : {}),
      });
      cache.set(key, s);
      s.catch(() => cache.delete(key));
    }
    // NOTE: only the signature is kept: the bytes hold every baked weight, which ONNX Runtime has copied.
    return new Session({ hash: model.hash, inputs: model.inputs, outputs: model.outputs }, await s);
  }

  /** Preallocated output tensors for every output with a fixed shape (named dims need `shapes`). */
  allocOutputs(shapes: Record<string, readonly number[]> = {}): Record<string, ort.Tensor> {
    const out: Record<string, ort.Tensor> = {};
    for (const o of this.model.outputs) {
      const shape = shapes[o.name] ?? (isStatic(o.shape) ? o.shape : null);
      if (!shape) throw new Error(`allocOutputs: output ${o.name} ${fmtShape(o.shape)} has named dims; pass its shape`);
      out[o.name] = new ort.Tensor(ORT_TYPE[o.dtype], alloc(o.dtype, numel(shape) as number), shape);
    }
    return out;
  }

  /**
   * Runs the model. Feeds are ort.Tensors or typed arrays (wrapped with the input's fixed shape).
   * With `fetches`, outputs are written into those preallocated tensors and returned.
   */
  async run(feeds: Record<string, Feed>, fetches?: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
    const wrapped: Record<string, ort.Tensor> = {};
    for (const i of this.model.inputs) {
      const f = feeds[i.name];
      if (f === undefined) throw new Error(`run: missing feed '${i.name}' ${fmtShape(i.shape)}:${i.dtype}`);
      if (!ArrayBuffer.isView(f)) wrapped[i.name] = f;
      else if (isStatic(i.shape)) wrapped[i.name] = ortTensor(i.dtype, f, i.shape);
      else throw new Error(`run: feed '${i.name}' ${fmtShape(i.shape)} has named dims; pass an ort.Tensor`);
    }
    return fetches ? this.ort.run(wrapped, fetches) : this.ort.run(wrapped);
  }
}

/** Drops every cached session (tests; freeing memory). */
export function clearSessionCache(): void {
  cache.clear();
}

/** Wraps host data as an ort.Tensor, checking that the array matches the dtype. */
function ortTensor(dtype: DType, data: TensorData, dims: readonly number[]): ort.Tensor {
  const ok = { float32: Float32Array, float64: Float64Array, int32: Int32Array, int64: BigInt64Array, bool: Uint8Array, uint8: Uint8Array }[dtype];
  if (!(data instanceof ok)) throw new Error(`run: a ${dtype} input needs a ${ok.name}, got ${data.constructor.name}`);
  return new ort.Tensor(ORT_TYPE[dtype], data, dims);
}

function alloc(dtype: DType, n: number): TensorData {
  switch (dtype) {
    case 'float32': return new Float32Array(n);
    case 'float64': return new Float64Array(n);
    case 'int32': return new Int32Array(n);
    case 'int64': return new BigInt64Array(n);
    case 'bool': return new Uint8Array(n);
    case 'uint8': return new Uint8Array(n);
  }
}

export { ort };
