/**
 * Held-out loss and perplexity of a quantized Llama, scored by the float model's LossEvaluator
 * (train/eval-loss.ts: padded rows ignored, each batch weighted by its scored targets), so the figures
 * compare. The quantized weights and the dense parameters are baked in: the session is fed tokens only.
 */
import type { TokenBatch } from '../data/batch-sampler.js';
import { Graph } from '../graph/graph.js';
import { type LinearFn, llamaLoss } from '../nn/llama.js';
import type { SessionOptions } from '../onnx/session.js';
import { type EvalResult, LossEvaluator } from '../train/eval-loss.js';
import { type QuantizedLinearOptions, quantizedLinear } from './quantized-linear.js';
import { type QuantizedLlama, denseLlamaParams } from './quantize-llama.js';

export interface QuantizedEvalOptions {
  batch: number; // B rows per graph run
  seqLen: number; // T
  session?: SessionOptions;
  /** The LinearFn to score with; default quantizedLinear(q.linears, linearOptions). */
  linear?: (q: QuantizedLlama) => LinearFn;
  linearOptions?: Pick<QuantizedLinearOptions, 'accuracyLevel'>;
}

/** Scores batches of up to B rows of T tokens with a quantized model. */
export class QuantizedLossEvaluator {
  private constructor(private readonly evaluator: LossEvaluator) {}

  static async create(q: QuantizedLlama, opts: QuantizedEvalOptions): Promise<QuantizedLossEvaluator> {
    const { batch: B, seqLen: T } = opts;
    const graph = new Graph('quantized-eval-loss');
    const p = denseLlamaParams(graph, q, { as: 'constant' });
    const linear = opts.linear?.(q) ?? quantizedLinear(q.linears, opts.linearOptions);
    graph.output('loss', llamaLoss(q.cfg, p, graph.input('tokens', [B, T], 'int64'), graph.input('targets', [B, T], 'int64'), { linear }));
    return new QuantizedLossEvaluator(await LossEvaluator.forGraph(q.cfg, { batch: B, seqLen: T }, graph, opts.session));
  }

  /** Mean loss over every scored target of the batches. */
  async evaluate(batches: Iterable<TokenBatch>): Promise<EvalResult> {
    return this.evaluator.evaluate({}, batches); // everything but tokens and targets is baked in
  }
}
