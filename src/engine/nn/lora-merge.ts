/**
 * Folds an adapter into its base: W' = W + (alpha / r) · A @ B for every adapted linear, giving a plain
 * flat parameter buffer (llamaParamSpecs layout) that runs, exports and quantizes like any other model.
 * The products run as one ONNX graph (the engine loops over no numbers ORT computes).
 */
import { Graph } from '../graph/graph.js';
import * as g from '../graph/ops.js';
import { Session, type SessionOptions, ort } from '../onnx/session.js';
import { type LoraConfig, loraAdapterViews, loraNumParams, loraScale } from './lora.js';
import { llamaParamSpecs } from './llama.js';
import type { LlamaConfig } from './presets.js';

/** Inputs base [N], adapters [Na]; output merged [N]. */
export function buildLoraMerge(cfg: LlamaConfig, lora: LoraConfig): Graph {
  const specs = llamaParamSpecs(cfg);
  const sizes = specs.map((s) => s.shape.reduce((a, b) => a * b, 1));
  const graph = new Graph('lora-merge');
  const base = graph.input('base', [sizes.reduce((a, b) => a + b, 0)]); // [N]
  const { adapters } = loraAdapterViews(graph.input('adapters', [loraNumParams(cfg, lora)]), cfg, lora); // [Na]
  const scale = loraScale(lora);
  const parts = g.split(base, 0, sizes).map((w, i) => {
    const m = adapters[specs[i]!.name];
    if (!m) return w; // [n]
    return g.add(w, g.reshape(g.mul(g.matmul(m.a, m.b), scale), [-1])); // [in·out]
  });
  graph.output('merged', g.concat(parts, 0));
  return graph;
}

/** A new buffer [N]: the base with the adapter folded in (neither input is modified). */
export async function mergeLora(cfg: LlamaConfig, lora: LoraConfig, base: Float32Array, adapters: Float32Array, session?: SessionOptions): Promise<Float32Array> {
  const n = loraNumParams(cfg, lora);
  if (adapters.length !== n) throw new Error(`mergeLora: the adapter has ${adapters.length} values, r=${lora.r} on ${lora.targets.join(',')} needs ${n}; was it made for another config?`);
  const merged = new Float32Array(base.length);
  const s = await Session.create(buildLoraMerge(cfg, lora), session);
  await s.run({ base, adapters }, { merged: new ort.Tensor('float32', merged, [merged.length]) });
  return merged;
}
