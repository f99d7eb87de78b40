/**
 * A quantized Llama as the frozen base of a LoRA fine-tune (QLoRA): a `LoraBase` whose linears are
 * quantizedLinear and whose embedding and norms are float32, all plain graph inputs `base.*`.
 *
 * Gradients reach the adapters of every layer because the matMulNBits op has a vjp for its input:
 * dx = dy @ Wᵀ, with Wᵀ dequantized in the graph from the same codes (graph/op-table.ts). Codes and
 * scales get no gradient and no optimizer state; ONNX Runtime only reads the fed buffers.
 */
import { createHash } from 'node:crypto';
import { baseInput, type LoraBase } from '../nn/lora-base.js';
import { llamaParamSpecs } from '../nn/llama.js';
import { type Feed, ort } from '../onnx/session.js';
import { type QuantizedLinearOptions, quantizedFeeds, quantizedLinear } from './quantized-linear.js';
import { type QuantizedLlama, denseLlamaParams } from './quantize-llama.js';

/** Where the packed weights go; 'input' (default) keeps the caller's buffers the only copy. */
export type QuantizedBaseOptions = Pick<QuantizedLinearOptions, 'as' | 'accuracyLevel'>;

const PREFIX = 'base.';

/**
 * The LoraBase of a quantized model.
 * @example const step = await LoraTrainStep.create(quantizedLoraBase(quantizeLlama(cfg, flat, { bits: 4 })), lora, { batch: 8, seqLen: 64 });
 */
export function quantizedLoraBase(q: QuantizedLlama, opts: QuantizedBaseOptions = {}): LoraBase {
  const as = opts.as ?? 'input';
  const shapes = new Map(llamaParamSpecs(q.cfg).map((s) => [s.name, s.shape]));
  const feeds: Record<string, Feed> = as === 'input' ? quantizedFeeds(q.linears, PREFIX) : {};
  for (const [name, data] of Object.entries(q.dense)) feeds[baseInput(name)] = new ort.Tensor('float32', data, shapes.get(name)!);
  let hash: string | undefined;
  return {
    cfg: q.cfg,
    feeds,
    declare(graph) {
      return {
        params: denseLlamaParams(graph, q, { as: 'input', name: baseInput }),
        linear: quantizedLinear(q.linears, { as, prefix: PREFIX, accuracyLevel: opts.accuracyLevel }),
      };
    },
    fingerprint() {
      if (hash) return hash;
      const h = createHash('sha256').update(`int${q.bits} block ${q.blockSize}\n`);
      const bytes = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
      for (const name of Object.keys(q.linears).sort()) h.update(name).update(bytes(q.linears[name]!.codes)).update(bytes(q.linears[name]!.scales));
      for (const name of Object.keys(q.dense).sort()) h.update(name).update(bytes(q.dense[name]!));
      return (hash = `sha256:${h.digest('hex')}`);
    },
  };
}
