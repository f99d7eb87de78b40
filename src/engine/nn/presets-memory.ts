/**
 * What a training step of a LlamaConfig keeps in memory, in bytes (fp32 everywhere), so that pre-flight
 * validation can say whether a run fits and a benchmark can compare peak RSS against it.
 *
 * Parameter-sized parts, N floats each:
 *   weights, grads, two Adam moments                  the textbook 4N
 *   optimizerCopy (3N)   the train step ping-pongs weights and moments through preallocated outputs, so the
 *                        previous state survives a non-finite step (optim/train-step.ts): a second set
 *   scratch (2N)         the backward pass's and the per-parameter update's temporaries in ONNX Runtime's
 *                        arena (measured 1.8–2.0N on the `small` preset at B=1, where activations are ~0)
 * Activations approximate what forward + backward keep alive at the start of the backward pass. Per layer:
 *   attention: norm input x [B,T,C], norm output [B,T,C], q [B,T,NH·HS], k and v [B,T,KV·HS],
 *              scores [B,NH,T,T] and probabilities [B,NH,T,T], attention output [B,T,NH·HS]
 *   MLP:       norm input [B,T,C], norm output [B,T,C], gate [B,T,F], up [B,T,F], silu(gate)·up [B,T,F]
 * plus the final norm's input and output [B,T,C], and three [B,T,V] tensors: the logits, the log-probabilities
 * the loss keeps for its gradient, and that gradient.
 * runtime: Node.js, ONNX Runtime and a compiled step session before any tensor is allocated (measured
 * ~100 MB + ~70 MB on Node 20 / ONNX Runtime 1.30, x64).
 * Measured peak RSS / total, tiny B=16 T=256: 1.03; tiny B=4 T=256: 1.03; tiny B=1 T=8: 1.17;
 * small B=4 T=128: 1.10; small B=1 T=8: 1.23; nano B=8 T=64: 0.92 (the memory check in presets.test.ts).
 */
import { countParams, type LlamaConfig } from './presets.js';

const FLOAT_BYTES = 4;
/** Node.js + ONNX Runtime + one compiled step session, before tensors (see the note above). */
export const RUNTIME_BASELINE_BYTES = 170 * 2 ** 20;

/** Bytes a training step needs, by part; `total` is their sum. */
export interface TrainingMemoryEstimate {
  weights: number; // N floats
  grads: number; // N floats
  adamMoments: number; // 2N floats (first and second moment)
  optimizerCopy: number; // 3N floats: the ping-pong set of weights and both moments
  scratch: number; // 2N floats: backward and update temporaries
  activations: number; // L × perLayer + final norm + logits, log-probs and their gradient
  runtime: number; // the process before any tensor
  total: number;
  detail: {
    params: number;
    activationsPerLayer: number; // bytes saved by one decoder block
    attentionScores: number; // bytes of the [B,NH,T,T] scores + probabilities, all layers (often the biggest part)
    logitsAndGrad: number; // bytes of [B,T,V] logits + log-probs + their gradient
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
  const logitsAndGrad = 3 * BT * V * FLOAT_BYTES;
  const activations = L * perLayer + finalNorm + logitsAndGrad;

  const params = countParams(config);
  const n = params * FLOAT_BYTES;
  const parts = { weights: n, grads: n, adamMoments: 2 * n, optimizerCopy: 3 * n, scratch: 2 * n, activations, runtime: RUNTIME_BASELINE_BYTES };
  return {
    ...parts,
    total: Object.values(parts).reduce((a, b) => a + b, 0),
    detail: { params, activationsPerLayer: perLayer, attentionScores: L * scores * FLOAT_BYTES, logitsAndGrad },
  };
}
