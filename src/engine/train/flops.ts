/**
 * FLOPs of one Llama training step (forward + backward), the numerator of MFU.
 *
 * Per token: 6·N for the weight matrices (2 forward, 4 backward per weight; the embedding gather
 * costs nothing but is counted, as in nanoGPT and PaLM's appendix B, so figures compare), plus attention
 * 12·L·C·T: per layer Q·Kᵀ and P·V are 2·2·T·C forward, 3× that forward + backward. The causal mask is
 * not exploited by the kernels, so the full T×T is counted. Same formula as src/engine/nn/llama.bench.ts.
 */
import { countParams, type LlamaConfig } from '../nn/presets.js';

/** FLOPs of forward + backward over B sequences of T tokens: B·T·(6·N + 12·L·C·T). */
export function trainStepFlops(cfg: LlamaConfig, shape: { batch: number; seqLen: number }): number {
  const { batch: B, seqLen: T } = shape;
  return B * T * (6 * countParams(cfg) + 12 * cfg.layers * cfg.hidden * T);
}
