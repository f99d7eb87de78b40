/**
 * Weight-only quantization of a whole Llama: every block linear (LLAMA_LINEARS) and the LM head
 * become block-quantized weights; the token embedding and the RMSNorm scales stay float32.
 *
 * Why the embedding stays float32: a lookup reads only the B·T rows it needs, never the whole [V, C]
 * matrix, so it is not the bandwidth-bound product that quantization speeds up; quantizing it would only
 * save storage, and ONNX Runtime's CPU kernel for a quantized lookup (GatherBlockQuantized) would add a
 * second layout. With tied embeddings the LM head still is quantized: it is embedᵀ, packed on its own.
 * Norm scales are C floats per layer: nothing to gain.
 */
import type { Graph } from '../graph/graph.js';
import type { Tensor } from '../graph/tensor.js';
import { LLAMA_LINEARS, type LlamaParams, llamaParamSpecs } from '../nn/llama.js';
import type { LlamaConfig } from '../nn/presets.js';
import { type BlockQuantOptions, DEFAULT_BLOCK_SIZE, type QuantBits, type QuantizedWeight, quantizeBlocks, quantizedWeightBytes } from './block-quant.js';

export interface QuantizedLlama {
  cfg: LlamaConfig;
  bits: QuantBits;
  blockSize: number;
  /** Every linear by LinearFn name: 'layers.N.wq' … 'layers.N.w_down', 'lm_head'. */
  linears: Record<string, QuantizedWeight>;
  /** The float32 parameters llamaForward reads directly: 'embed' and the norm scales (copies). */
  dense: Record<string, Float32Array>;
}

/** The LinearFn names of a config's linears, in llamaParamSpecs order, the LM head last. */
export function llamaLinearNames(cfg: LlamaConfig): string[] {
  const names: string[] = [];
  for (let l = 0; l < cfg.layers; l++) for (const k of LLAMA_LINEARS) names.push(`layers.${l}.${k}`);
  return [...names, 'lm_head'];
}

/**
 * Quantizes a flat parameter buffer laid out as llamaParamSpecs(cfg) (the trainer's layout).
 * @example const q4 = quantizeLlama(cfg, trainer.params, { bits: 4 }); // q4.linears, q4.dense
 */
export function quantizeLlama(cfg: LlamaConfig, flat: Float32Array, opts: BlockQuantOptions): QuantizedLlama {
  const specs = llamaParamSpecs(cfg);
  const views: Record<string, Float32Array> = {};
  let at = 0;
  for (const s of specs) views[s.name] = flat.subarray(at, (at += s.shape.reduce((a, b) => a * b, 1)));
  if (at !== flat.length) throw new Error(`quantizeLlama: the config needs ${at} parameters, the buffer has ${flat.length}; was it trained with another config?`);
  const shapeOf = new Map(specs.map((s) => [s.name, s.shape]));

  const linears: Record<string, QuantizedWeight> = {};
  for (const name of llamaLinearNames(cfg)) {
    const tiedHead = name === 'lm_head' && cfg.tiedEmbeddings;
    const [w, shape] = tiedHead ? [transpose(views.embed!, cfg.vocabSize, cfg.hidden), [cfg.hidden, cfg.vocabSize]] : [views[name]!, shapeOf.get(name)!];
    try {
      linears[name] = quantizeBlocks(w, shape, opts);
    } catch (e) {
      throw new Error(`quantizeLlama: ${name}: ${(e as Error).message}`);
    }
  }
  const dense: Record<string, Float32Array> = {};
  for (const s of specs) if (!(s.name in linears)) dense[s.name] = views[s.name]!.slice();
  return { cfg, bits: opts.bits, blockSize: opts.blockSize ?? DEFAULT_BLOCK_SIZE, linears, dense };
}

/** The dense parameters as graph tensors: constants (self-contained model) or inputs named by `input`. */
export function denseLlamaParams(graph: Graph, q: QuantizedLlama, opts: { as: 'constant' } | { as: 'input'; name?: (param: string) => string }): LlamaParams {
  const shapes = new Map(llamaParamSpecs(q.cfg).map((s) => [s.name, s.shape]));
  const p: Record<string, Tensor> = {};
  for (const [name, data] of Object.entries(q.dense))
    p[name] = opts.as === 'constant' ? graph.constant(data, shapes.get(name)!) : graph.input(opts.name?.(name) ?? name, shapes.get(name)!);
  return p;
}

/** Storage of the quantized model against the float32 one it came from. */
export function quantizedLlamaBytes(q: QuantizedLlama): { linears: number; dense: number; total: number; float32: number } {
  const linears = Object.values(q.linears).reduce((n, w) => n + quantizedWeightBytes(w), 0);
  const dense = Object.values(q.dense).reduce((n, d) => n + d.byteLength, 0);
  const float32 = 4 * llamaParamSpecs(q.cfg).reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
  return { linears, dense, total: linears + dense, float32 };
}

function transpose(m: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(m.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = m[r * cols + c]!;
  return t;
}
