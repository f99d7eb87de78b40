/**
 * What a training step of a LlamaConfig keeps in memory, in bytes (fp32 everywhere), so a benchmark can
 * compare peak RSS against it.
 *
 * Activations are an approximation of what forward + backward must keep alive at the start of the
 * backward pass (the peak). Per layer, the tensors saved for the gradient:
 *   attention: norm input x [B,T,C], norm output [B,T,C], q [B,T,NH·HS], k and v [B,T,KV·HS],
 *              scores [B,NH,T,T] and probabilities [B,NH,T,T], attention output [B,T,NH·HS]
 *   MLP:       norm input [B,T,C], norm output [B,T,C], gate [B,T,F], up [B,T,F], silu(gate)·up [B,T,F]
 * plus the final norm's input and output [B,T,C], the logits [B,T,V] and their gradient [B,T,V].
 * Not counted: transient scratch of single kernels, the runtime's own arenas, the process baseline.
 */
import { countParams, type LlamaConfig } from './presets.js';

const FLOAT_BYTES = 4;

/** Bytes a training step needs, by part; `total` is their sum. */
export interface TrainingMemoryEstimate {
  weights: number; // N floats
  grads: number; // N floats
  adamMoments: number; // 2N floats (first and second moment)
  activations: number; // L × perLayer + final norm + logits and their gradient
  total: number;
  detail: {
    params: number;
    activationsPerLayer: number; // bytes saved by one decoder block
    attentionScores: number; // bytes of the [B,NH,T,T] scores + probabilities, all layers (often the biggest part)
    logitsAndGrad: number; // bytes of [B,T,V] logits + their gradient
  };
}

/** Estimates the memory of one fp32 training step (AdamW) at a given batch and sequence length. */
export function estimateTrainingMemory(config: LlamaConfig, shape: { batch: number; seqLen: number }): TrainingMemoryEstimate {
  const { batch: B, seqLen: T } = shape;
  if (!Number.isInteger(B) || B <= 0 || !Number.isInteger(T) || T <= 0) {
    throw new Error(`estimateTrainingMemory: batch and seqLen must be positive integers, got batch=${B}, seqLen=${T}`);
  }
  const { vocabSize: V, hidden: C, layers: L, heads: NH, kvHeads: KV, ffn: F } = config;
  const HS = C / NH;
  const BT = B * T;

  const scores = 2 * B * NH * T * T; // scores + probabilities
  const attention = BT * (2 * C + NH * HS + 2 * KV * HS + NH * HS) + scores;
  const mlp = BT * (2 * C + 3 * F);
  const perLayer = (attention + mlp) * FLOAT_BYTES;
  const finalNorm = 2 * BT * C * FLOAT_BYTES;
  const logitsAndGrad = 2 * BT * V * FLOAT_BYTES;
  const activations = L * perLayer + finalNorm + logitsAndGrad;

  const params = countParams(config);
  const weights = params * FLOAT_BYTES;
  const grads = params * FLOAT_BYTES;
  const adamMoments = 2 * params * FLOAT_BYTES;
  return {
    weights,
    grads,
    adamMoments,
    activations,
    total: weights + grads + adamMoments + activations,
    detail: { params, activationsPerLayer: perLayer, attentionScores: L * scores * FLOAT_BYTES, logitsAndGrad },
  };
}
