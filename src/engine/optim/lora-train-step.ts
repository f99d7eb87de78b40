/**
 * A LoRA fine-tuning step as one graph: forward through the frozen base with adapters on its linears,
 * loss, gradients with respect to the adapters only, global-norm clipping and AdamW.
 *
 * As in train-step.ts, the trainable values are one flat vector: the adapters [Na] (loraParamSpecs
 * layout) with their two Adam moments [Na], ping-ponged through preallocated outputs. The base is fed
 * as plain graph inputs (whatever the LoraBase declares): no gradient is taken with respect to it, so
 * it gets no optimizer state, and ONNX Runtime never writes it.
 */
import { grad } from '../graph/autodiff.js';
import { Graph } from '../graph/graph.js';
import * as g from '../graph/ops.js';
import type { Tensor } from '../graph/tensor.js';
import type { PrngState } from '../data/prng.js';
import { llamaLoss } from '../nn/llama.js';
import { type LoraConfig, initLoraParams, loraAdapterViews, loraLinear, loraNumParams, loraScale } from '../nn/lora.js';
import type { LoraBase } from '../nn/lora-base.js';
import { LoraDropoutMasks, declareLoraDropout } from '../nn/lora-dropout.js';
import { Session, type SessionOptions, ort } from '../onnx/session.js';
import { ADAMW_DEFAULTS, type AdamWOptions, adamwUpdate, clipScale } from './adamw.js';
import type { MicroBatch, OptimizerState, StepResult, StepShape } from './train-step.js';

/** Hugging Face Trainer's AdamW defaults, which LoRA recipes are tuned for: β₂ 0.999, no weight decay. */
export const LORA_ADAMW_DEFAULTS: AdamWOptions = { ...ADAMW_DEFAULTS, beta2: 0.999, weightDecay: 0 };

/** Loss of the adapted model on tokens, targets [B, T]; `dropout` adds the mask inputs (training only). */
function loraLoss(base: LoraBase, lora: LoraConfig, shape: StepShape, graph: Graph, adapters: Tensor, dropout: boolean): { loss: Tensor; views: Tensor[] } {
  const { batch: B, seqLen: T } = shape;
  const { params, linear } = base.declare(graph);
  const { adapters: modules, views } = loraAdapterViews(adapters, base.cfg, lora);
  if (dropout) declareLoraDropout(graph, base.cfg, lora, shape, modules);
  const tokens = graph.input('tokens', [B, T], 'int64');
  const targets = graph.input('targets', [B, T], 'int64');
  const loss = llamaLoss(base.cfg, params, tokens, targets, { linear: loraLinear(linear, modules, { scale: loraScale(lora), dropout: lora.dropout }) });
  return { loss, views };
}

/** Clipping + AdamW on the flat adapter; adds the inputs m, v, lr, step and the outputs adapters_out, m_out, v_out, grad_norm. */
function addLoraUpdate(graph: Graph, flat: Tensor, gradFlat: Tensor, opts: AdamWOptions): void {
  const Na = flat.shape[0] as number;
  const m = graph.input('m', [Na]);
  const v = graph.input('v', [Na]);
  const clip = opts.maxGradNorm === null ? null : clipScale([gradFlat], opts.maxGradNorm);
  // Every adapter tensor is a matrix, so weight decay applies to all of them (as HF's Trainer does for LoRA).
  const next = adamwUpdate({ param: flat, m, v }, gradFlat, { lr: graph.input('lr', []), step: graph.input('step', []), gradScale: clip?.scale }, opts);
  graph.output('adapters_out', next.param);
  graph.output('m_out', next.m);
  graph.output('v_out', next.v);
  graph.output('grad_norm', clip?.norm ?? g.sqrt(g.reduceSum(g.mul(gradFlat, gradFlat))));
}

/** Loss and its gradient wrt the flat adapter [Na] (dropout masks included). */
function loraLossAndGrad(base: LoraBase, lora: LoraConfig, shape: StepShape, graph: Graph, flat: Tensor): { loss: Tensor; gradFlat: Tensor } {
  const { loss, views } = loraLoss(base, lora, shape, graph, flat, true);
  // NOTE: gradients wrt the views (as train-step.ts does), concatenated back in flat order.
  return { loss, gradFlat: g.concat(grad(loss, views).map((d) => g.reshape(d, [-1])), 0) }; // [Na]
}

/**
 * The fused step. Inputs: the base's, adapters, m, v [Na]; tokens, targets [B, T] int64; lr, step;
 * one dropout mask per adapted linear when dropout > 0. Outputs: adapters_out, m_out, v_out [Na], loss, grad_norm.
 */
export function buildLoraTrainStep(base: LoraBase, lora: LoraConfig, shape: StepShape, opts: AdamWOptions = LORA_ADAMW_DEFAULTS): Graph {
  const graph = new Graph('lora-train-step');
  const flat = graph.input('adapters', [loraNumParams(base.cfg, lora)]); // [Na]
  const { loss, gradFlat } = loraLossAndGrad(base, lora, shape, graph, flat);
  addLoraUpdate(graph, flat, gradFlat, opts);
  graph.output('loss', loss);
  return graph;
}

/** One micro-batch: grad_out = grad_in + scale·∇loss [Na]. Inputs as the fused step's, less m, v, lr, step; plus grad_in, scale. */
export function buildLoraGradStep(base: LoraBase, lora: LoraConfig, shape: StepShape): Graph {
  const Na = loraNumParams(base.cfg, lora);
  const graph = new Graph('lora-grad-step');
  const { loss, gradFlat } = loraLossAndGrad(base, lora, shape, graph, graph.input('adapters', [Na]));
  graph.output('grad_out', g.add(graph.input('grad_in', [Na]), g.mul(gradFlat, graph.input('scale', []))));
  graph.output('loss', loss);
  return graph;
}

/** The update alone. Inputs: adapters, grad, m, v [Na]; lr, step. */
export function buildLoraUpdateStep(Na: number, opts: AdamWOptions = LORA_ADAMW_DEFAULTS): Graph {
  const graph = new Graph('lora-update-step');
  addLoraUpdate(graph, graph.input('adapters', [Na]), graph.input('grad', [Na]), opts);
  return graph;
}

/** Forward-only loss of the adapted model (no dropout). Inputs: the base's, adapters [Na], tokens, targets. */
export function buildLoraEvalLoss(base: LoraBase, lora: LoraConfig, shape: StepShape): Graph {
  const graph = new Graph('lora-eval-loss');
  const { loss } = loraLoss(base, lora, shape, graph, graph.input('adapters', [loraNumParams(base.cfg, lora)]), false);
  graph.output('loss', loss);
  return graph;
}

/** The adapter's optimizer state, and where the dropout stream stands (null without dropout). */
export interface LoraOptimizerState extends OptimizerState {
  dropout: PrngState | null;
}

export interface LoraTrainStepOptions {
  adamw?: AdamWOptions; // default LORA_ADAMW_DEFAULTS
  session?: SessionOptions;
  /** Seeds the adapter init and (with seed + 1) the dropout masks; default 0. */
  seed?: number;
  /** Initial adapters [Na] (default: PEFT-style init from the seed). */
  initial?: Float32Array;
}

type Buffers = { params: Float32Array; m: Float32Array; v: Float32Array };

/** Runs the LoRA step graph on engine-owned, ping-ponged adapter buffers; the base is only read. */
export class LoraTrainStep {
  private cur: Buffers;
  private nxt: Buffers;
  private masks: LoraDropoutMasks;
  private readonly scalars = { loss: new Float32Array(1), gradNorm: new Float32Array(1) };
  private accumulate?: { grad: Session; update: Session; bufs: [Float32Array, Float32Array] };
  stepCount = 0;

  private constructor(
    readonly base: LoraBase,
    readonly lora: LoraConfig,
    readonly shape: StepShape,
    readonly session: Session,
    readonly numParams: number, // Na
    private readonly opts: LoraTrainStepOptions,
    private readonly seed: number,
    initial: Float32Array | undefined,
  ) {
    const set = (): Buffers => ({ params: new Float32Array(numParams), m: new Float32Array(numParams), v: new Float32Array(numParams) });
    this.cur = set();
    this.nxt = set();
    const init = initial ?? initLoraParams(base.cfg, lora, seed);
    if (init.length !== numParams) throw new Error(`LoraTrainStep: the initial adapter has ${init.length} values, r=${lora.r} on ${lora.targets.join(',')} needs ${numParams}`);
    this.cur.params.set(init);
    this.masks = new LoraDropoutMasks(base.cfg, lora, shape, seed + 1);
  }

  /** Compiles the step for batches of `shape` on `base`. */
  static async create(base: LoraBase, lora: LoraConfig, shape: StepShape, opts: LoraTrainStepOptions = {}): Promise<LoraTrainStep> {
    const session = await Session.create(buildLoraTrainStep(base, lora, shape, opts.adamw), opts.session);
    return new LoraTrainStep(base, lora, shape, session, loraNumParams(base.cfg, lora), opts, opts.seed ?? 0, opts.initial);
  }

  /** The current adapters [Na] (a view; valid until the next step). */
  get adapters(): Float32Array {
    return this.cur.params;
  }

  /** A copy of the optimizer state (for checkpoints). */
  state(): LoraOptimizerState {
    return { params: this.cur.params.slice(), m: this.cur.m.slice(), v: this.cur.v.slice(), step: this.stepCount, dropout: this.lora.dropout > 0 ? this.masks.state() : null };
  }

  /** Continues from a saved state. */
  load(s: LoraOptimizerState): void {
    for (const k of ['params', 'm', 'v'] as const) {
      if (s[k].length !== this.numParams) throw new Error(`load: adapter ${k} has ${s[k].length} values, r=${this.lora.r} on ${this.lora.targets.join(',')} needs ${this.numParams}`);
      this.cur[k].set(s[k]);
    }
    this.stepCount = s.step;
    this.masks = new LoraDropoutMasks(this.base.cfg, this.lora, this.shape, s.dropout ?? this.seed + 1);
  }

  /** One step on one batch; a non-finite loss or gradient leaves the adapter and moments as they were. */
  async step(tokens: BigInt64Array, targets: BigInt64Array, lr: number): Promise<StepResult> {
    const t0 = performance.now();
    await this.session.run(
      { ...this.base.feeds, ...this.masks.next(), adapters: this.cur.params, m: this.cur.m, v: this.cur.v, tokens, targets, ...this.hyper(lr) },
      { ...this.stateFetches(), loss: scalar(this.scalars.loss) },
    );
    return this.commit(this.scalars.loss[0]!, t0);
  }

  /** One step over k micro-batches of `shape`: their gradients are averaged, then clipped and applied once. */
  async stepAccumulated(micro: readonly MicroBatch[], lr: number): Promise<StepResult> {
    const t0 = performance.now();
    if (!this.accumulate) {
      const [grad, update] = await Promise.all([
        Session.create(buildLoraGradStep(this.base, this.lora, this.shape), this.opts.session),
        Session.create(buildLoraUpdateStep(this.numParams, this.opts.adamw), this.opts.session),
      ]);
      this.accumulate = { grad, update, bufs: [new Float32Array(this.numParams), new Float32Array(this.numParams)] };
    }
    const { bufs } = this.accumulate;
    bufs[0].fill(0);
    const scale = Float32Array.of(1 / micro.length);
    let loss = 0;
    for (const { tokens, targets } of micro) {
      await this.accumulate.grad.run(
        { ...this.base.feeds, ...this.masks.next(), adapters: this.cur.params, grad_in: bufs[0], tokens, targets, scale },
        { grad_out: new ort.Tensor('float32', bufs[1], [this.numParams]), loss: scalar(this.scalars.loss) },
      );
      bufs.reverse();
      loss += this.scalars.loss[0]! / micro.length;
    }
    await this.accumulate.update.run({ adapters: this.cur.params, grad: bufs[0], m: this.cur.m, v: this.cur.v, ...this.hyper(lr) }, this.stateFetches());
    return this.commit(loss, t0);
  }

  private hyper(lr: number): { lr: Float32Array; step: Float32Array } {
    return { lr: Float32Array.of(lr), step: Float32Array.of(this.stepCount + 1) };
  }

  private stateFetches(): Record<string, ort.Tensor> {
    const n = [this.numParams];
    return {
      adapters_out: new ort.Tensor('float32', this.nxt.params, n),
      m_out: new ort.Tensor('float32', this.nxt.m, n),
      v_out: new ort.Tensor('float32', this.nxt.v, n),
      grad_norm: scalar(this.scalars.gradNorm),
    };
  }

  /** Keeps the new state (swaps the buffers) unless the step was not finite: then it is simply dropped. */
  private commit(loss: number, t0: number): StepResult {
    const gradNorm = this.scalars.gradNorm[0]!;
    const skipped = !Number.isFinite(loss) || !Number.isFinite(gradNorm);
    if (!skipped) {
      [this.cur, this.nxt] = [this.nxt, this.cur];
      this.stepCount++;
    }
    return { loss, gradNorm, seconds: (performance.now() - t0) / 1000, skipped };
  }
}

const scalar = (buf: Float32Array): ort.Tensor => new ort.Tensor('float32', buf, []);
