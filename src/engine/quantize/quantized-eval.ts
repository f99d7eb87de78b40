/**
 * Held-out loss and perplexity of a quantized Llama, scored exactly as train/eval-loss.ts scores a
 * float one (padded rows ignored, each batch weighted by its scored targets), so the figures compare.
 * The quantized weights and the dense parameters are baked in: the session is fed tokens only.
 */
import type { TokenBatch } from '../data/batch-sampler.js';
import { Graph } from '../graph/graph.js';
import { type LinearFn, llamaLoss } from '../nn/llama.js';
import { Session, type SessionOptions, ort } from '../onnx/session.js';
import { IGNORE_INDEX, fillInt64 } from '../train/batch-feed.js';
import type { EvalResult } from '../train/eval-loss.js';
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
  private readonly tokens: BigInt64Array;
  private readonly targets: BigInt64Array;
  private readonly out = new Float32Array(1);

  private constructor(
    private readonly q: QuantizedLlama,
    private readonly shape: { batch: number; seqLen: number },
    private readonly session: Session,
  ) {
    this.tokens = new BigInt64Array(shape.batch * shape.seqLen);
    this.targets = new BigInt64Array(shape.batch * shape.seqLen);
  }

  static async create(q: QuantizedLlama, opts: QuantizedEvalOptions): Promise<QuantizedLossEvaluator> {
    const { batch: B, seqLen: T } = opts;
    const graph = new Graph('quantized-eval-loss');
    const p = denseLlamaParams(graph, q, { as: 'constant' });
    const linear = opts.linear?.(q) ?? quantizedLinear(q.linears, opts.linearOptions);
    graph.output('loss', llamaLoss(q.cfg, p, graph.input('tokens', [B, T], 'int64'), graph.input('targets', [B, T], 'int64'), { linear }));
    return new QuantizedLossEvaluator(q, { batch: B, seqLen: T }, await Session.create(graph, opts.session));
  }

  /** Mean loss over every scored target of the batches. */
  async evaluate(batches: Iterable<TokenBatch>): Promise<EvalResult> {
    const { batch: B, seqLen: T } = this.shape;
    const V = this.q.cfg.vocabSize;
    let sum = 0;
    let count = 0;
    let n = 0;
    for (const batch of batches) {
      const len = batch.inputs.length;
      if (len % T !== 0 || len > B * T || batch.targets.length !== len)
        throw new Error(`evaluate: a batch must hold up to B·T = ${B}·${T} ids in whole rows of T; got ${len} inputs and ${batch.targets.length} targets`);
      this.tokens.fill(0n);
      this.targets.fill(BigInt(IGNORE_INDEX)); // padding rows score nothing
      fillInt64(this.tokens.subarray(0, len), batch.inputs, V, 'inputs');
      fillInt64(this.targets.subarray(0, len), batch.targets, V, 'targets');
      let scored = 0;
      for (let i = 0; i < len; i++) if (batch.targets[i] !== IGNORE_INDEX) scored++;
      if (scored === 0) continue;
      await this.session.run({ tokens: this.tokens, targets: this.targets }, { loss: new ort.Tensor('float32', this.out, []) });
      sum += this.out[0]! * scored;
      count += scored;
      n++;
    }
    if (count === 0) throw new Error('evaluate: the batches hold no scored targets (all were the ignore index, or there were none)');
    return { loss: sum / count, perplexity: Math.exp(sum / count), targets: count, batches: n };
  }
}
