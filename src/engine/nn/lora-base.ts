/**
 * The frozen model under a LoRA adapter. A `LoraBase` declares its own graph inputs and returns the
 * parameters llamaForward reads directly (embed, norms) plus a LinearFn for the linears, so the LoRA
 * graphs never see how the base stores its weights: `flatLlamaBase` is float32 weights in one flat
 * buffer; a quantized base (QLoRA) is another LoraBase with its own inputs and LinearFn.
 *
 * Base inputs are graph inputs, not params: no gradient is taken with respect to them and they get no
 * optimizer state; the same buffers are fed to every step unchanged.
 */
import { createHash } from 'node:crypto';
import type { Graph } from '../graph/graph.js';
import { type Feed, ort } from '../onnx/session.js';
import { type LinearFn, type LlamaParams, llamaParamSpecs, plainLinear } from './llama.js';
import type { LlamaConfig } from './presets.js';

export interface LoraBase {
  readonly cfg: LlamaConfig;
  /** Declares the base's graph inputs; returns what llamaForward needs besides the linears, and the base LinearFn. */
  declare(graph: Graph): { params: LlamaParams; linear: LinearFn };
  /** Values for the inputs `declare` made, by name (never written by a step). */
  readonly feeds: Readonly<Record<string, Feed>>;
  /** A content hash of the base, recorded in adapter checkpoints so a resume on another base is refused. */
  fingerprint(): string;
}

/** The graph input of base parameter `name` ('layers.3.wq'). */
export const baseInput = (name: string): string => `base.${name}`;

/**
 * A float32 base laid out as llamaParamSpecs(cfg). Each parameter is its own input `base.<name>`, fed
 * as a view of the flat buffer, so ONNX Runtime reads the weights in place (no [N] split per step).
 */
export function flatLlamaBase(cfg: LlamaConfig, params: Float32Array): LoraBase {
  const specs = llamaParamSpecs(cfg);
  const sizes = specs.map((s) => s.shape.reduce((a, b) => a * b, 1));
  const N = sizes.reduce((a, b) => a + b, 0);
  if (params.length !== N) throw new Error(`flatLlamaBase: the base has ${params.length} values, the config needs ${N} (llamaParamSpecs order); was it trained with another config?`);
  const feeds: Record<string, Feed> = {};
  let at = 0;
  specs.forEach((s, i) => {
    feeds[baseInput(s.name)] = new ort.Tensor('float32', params.subarray(at, (at += sizes[i]!)), s.shape);
  });
  let hash: string | undefined;
  return {
    cfg,
    feeds,
    declare(graph) {
      const p = Object.fromEntries(specs.map((s) => [s.name, graph.input(baseInput(s.name), s.shape)]));
      return { params: p, linear: plainLinear(cfg, p) };
    },
    fingerprint() {
      hash ??= `sha256:${createHash('sha256').update(new Uint8Array(params.buffer, params.byteOffset, params.byteLength)).digest('hex')}`;
      return hash;
    },
  };
}
