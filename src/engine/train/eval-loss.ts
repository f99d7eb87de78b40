/**
 * Forward-only evaluation: the mean next-token loss over batches, and its perplexity exp(loss).
 *
 * The graph is the core's `llamaLoss` on views of the same flat [N] parameter buffer the train step
 * owns, so evaluating copies nothing. Batches with fewer rows than the graph's B (the tail of
 * `evalBatches`) are padded with fully ignored rows. Each batch's mean loss is weighted by its number
 * of scored targets, so the result is the mean over every target, however the batches were cut.
 */
import type { TokenBatch } from '../data/batch-sampler.js';
import { Graph } from '../graph/graph.js';
import * as g from '../graph/ops.js';
import { llamaLoss, llamaParamSpecs } from '../nn/llama.js';
import type { LlamaConfig } from '../nn/presets.js';
import { type Feed, Session, type SessionOptions, ort } from '../onnx/session.js';
import { IGNORE_INDEX, fillInt64 } from './batch-feed.js';

export interface EvalResult {
  loss: number; // mean cross-entropy per scored target, nats
  perplexity: number; // exp(loss)
  targets: number; // scored targets
  batches: number;
}

/** Mean loss of flat parameters [N] on tokens, targets [B, T] int64 (−100 = ignored). Output: loss. */
export function buildLlamaEvalLoss(cfg: LlamaConfig, { batch: B, seqLen: T }: { batch: number; seqLen: number }): Graph {
  const specs = llamaParamSpecs(cfg);
  const sizes = specs.map((s) => s.shape.reduce((a, b) => a * b, 1));
  const graph = new Graph('llama-eval-loss');
  const flat = graph.input('params', [sizes.reduce((a, b) => a + b, 0)]); // [N]
  const views = g.split(flat, 0, sizes).map((p, i) => g.reshape(p, specs[i]!.shape)); // one view per parameter
  const params = Object.fromEntries(specs.map((s, i) => [s.name, views[i]!]));
  graph.output('loss', llamaLoss(cfg, params, graph.input('tokens', [B, T], 'int64'), graph.input('targets', [B, T], 'int64')));
  return graph;
}

/** Evaluates batches of up to B rows of T tokens. */
export class LossEvaluator {
  private readonly tokens: BigInt64Array;
  private readonly targets: BigInt64Array;
  private readonly out = new Float32Array(1);

  private constructor(
    private readonly cfg: LlamaConfig,
    private readonly shape: { batch: number; seqLen: number },
    private readonly session: Session,
  ) {
    this.tokens = new BigInt64Array(shape.batch * shape.seqLen);
    this.targets = new BigInt64Array(shape.batch * shape.seqLen);
  }

  static async create(cfg: LlamaConfig, shape: { batch: number; seqLen: number }, session?: SessionOptions): Promise<LossEvaluator> {
    return new LossEvaluator(cfg, shape, await Session.create(buildLlamaEvalLoss(cfg, shape), session));
  }

  /** An evaluator for another loss graph with the same tokens/targets [B, T] inputs and `loss` output (e.g. LoRA's). */
  static async forGraph(cfg: LlamaConfig, shape: { batch: number; seqLen: number }, graph: Graph, session?: SessionOptions): Promise<LossEvaluator> {
    return new LossEvaluator(cfg, shape, await Session.create(graph, session));
  }

  /**
   * Mean loss over every scored target of the batches, with `params` laid out as llamaParamSpecs, or,
   * for a `forGraph` evaluator, the feeds its graph takes besides tokens and targets.
   */
  async evaluate(params: Float32Array | Readonly<Record<string, Feed>>, batches: Iterable<TokenBatch>): Promise<EvalResult> {
    const { batch: B, seqLen: T } = this.shape;
    let sum = 0;
    let count = 0;
    let n = 0;
    for (const batch of batches) {
      const len = batch.inputs.length;
      if (len % T !== 0 || len > B * T || batch.targets.length !== len) {
        throw new Error(`evaluate: a batch must hold up to B·T = ${B}·${T} ids in whole rows of T; got ${len} inputs and ${batch.targets.length} targets`);
      }
      this.tokens.fill(0n);
      this.targets.fill(BigInt(IGNORE_INDEX)); // padding rows score nothing
      fillInt64(this.tokens.subarray(0, len), batch.inputs, this.cfg.vocabSize, 'inputs');
      fillInt64(this.targets.subarray(0, len), batch.targets, this.cfg.vocabSize, 'targets');
      let scored = 0;
      for (let i = 0; i < len; i++) if (batch.targets[i] !== IGNORE_INDEX) scored++;
      if (scored === 0) continue; // the mean of nothing is NaN: such a batch carries no information
      await this.session.run({ ...(params instanceof Float32Array ? { params } : params), tokens: this.tokens, targets: this.targets }, { loss: new ort.Tensor('float32', this.out, []) });
      sum += this.out[0]! * scored;
      count += scored;
      n++;
    }
    if (count === 0) throw new Error('evaluate: the batches hold no scored targets (all were the ignore index, or there were none)');
    const loss = sum / count;
    return { loss, perplexity: Math.exp(loss), targets: count, batches: n };
  }
}
