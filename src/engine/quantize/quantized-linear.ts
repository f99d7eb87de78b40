/**
 * Quantized weights as a `LinearFn`: every linear layer named in `weights` runs as
 * x @ W through ONNX Runtime's MatMulNBits kernel (the matMulNBits op), so the same function plugs
 * into llamaForward, the KV-cache decoder graph and LoRA (`loraLinear(quantizedLinear(…), …)`, QLoRA).
 *
 * Where the packed tensors live in the model:
 * - 'constant' (default): initializers. ONNX Runtime pre-packs constant MatMulNBits weights once at
 *   session creation, and the model is self-contained (nothing to feed).
 * - 'input': graph inputs `<prefix><name>.codes` / `.scales`, fed each run (`quantizedFeeds`), so the
 *   caller's buffers are the only copy and a fingerprint of them identifies the model (QLoRA bases).
 */
import type { Graph } from '../graph/graph.js';
import * as g from '../graph/ops.js';
import type { Tensor } from '../graph/tensor.js';
import type { LinearFn } from '../nn/llama.js';
import { type Feed, ort } from '../onnx/session.js';
import { type QuantizedWeight, nbitsShapes } from './block-quant.js';

export interface QuantizedLinearOptions {
  as?: 'constant' | 'input';
  /** Prefix of the input names in 'input' mode (default 'q.'). */
  prefix?: string;
  /**
   * MatMulNBits' accuracy_level: 4 (default) quantizes x to int8 per block and multiplies in integers,
   * 0 computes in float32. Measured on AVX2 (README): 4 is 1.2–6× faster for decode-sized inputs.
   */
  accuracyLevel?: 0 | 4;
  /** Applies the linears that `weights` lacks (e.g. plainLinear for a float lm_head); default: an error. */
  fallback?: LinearFn;
}

/** The graph input names of a quantized linear in 'input' mode. */
export const quantizedInputNames = (name: string, prefix = 'q.'): { codes: string; scales: string } => ({
  codes: `${prefix}${name}.codes`,
  scales: `${prefix}${name}.scales`,
});

/**
 * A LinearFn over block-quantized weights by linear name ('layers.3.wq', 'lm_head').
 * @example llamaForward(cfg, p, tokens, { linear: quantizedLinear(quantizeLlama(cfg, flat, { bits: 4 }).linears) })
 */
export function quantizedLinear(weights: Readonly<Record<string, QuantizedWeight>>, opts: QuantizedLinearOptions = {}): LinearFn {
  const as = opts.as ?? 'constant';
  const prefix = opts.prefix ?? 'q.';
  const accuracyLevel = opts.accuracyLevel ?? 4;
  // One pair of leaves per graph and linear, however often a linear is applied.
  const declared = new WeakMap<Graph, Map<string, [Tensor, Tensor]>>();
  const leaves = (graph: Graph, name: string, q: QuantizedWeight): [Tensor, Tensor] => {
    let byName = declared.get(graph);
    if (!byName) declared.set(graph, (byName = new Map()));
    let pair = byName.get(name);
    if (!pair) {
      const shapes = nbitsShapes(q);
      const io = quantizedInputNames(name, prefix);
      pair =
        as === 'constant'
          ? [graph.constant(q.codes, shapes.codes, 'uint8'), graph.constant(q.scales, shapes.scales)]
          : [graph.input(io.codes, shapes.codes, 'uint8'), graph.input(io.scales, shapes.scales)];
      byName.set(name, pair);
    }
    return pair;
  };
  return (x, name) => {
    const q = weights[name];
    if (!q) {
      if (opts.fallback) return opts.fallback(x, name);
      throw new Error(`quantizedLinear: no quantized weight for '${name}' (have ${Object.keys(weights).slice(0, 3).join(', ')}…); quantize it too, or pass a fallback LinearFn`);
    }
    if (x.dtype !== 'float32') throw new Error(`quantizedLinear: '${name}' runs MatMulNBits, which takes float32 inputs; got ${x.dtype}`);
    const [codes, scales] = leaves(x.graph, name, q);
    return g.matMulNBits(x, codes, scales, { K: q.K, N: q.N, bits: q.bits, blockSize: q.blockSize, accuracyLevel }); // [..., N]
  };
}

/** Feeds for the inputs that quantizedLinear(weights, { as: 'input', prefix }) declares. */
export function quantizedFeeds(weights: Readonly<Record<string, QuantizedWeight>>, prefix = 'q.'): Record<string, Feed> {
  const feeds: Record<string, Feed> = {};
  for (const [name, q] of Object.entries(weights)) {
    const shapes = nbitsShapes(q);
    const io = quantizedInputNames(name, prefix);
    feeds[io.codes] = new ort.Tensor('uint8', q.codes, shapes.codes);
    feeds[io.scales] = new ort.Tensor('float32', q.scales, shapes.scales);
  }
  return feeds;
}
