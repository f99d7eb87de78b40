/**
 * A whole Llama training step as graphs: forward, loss, gradients, global-norm clipping and AdamW.
 * Parameters, gradients and both Adam moments are flat Float32Arrays [N] laid out as llamaParamSpecs;
 * a graph slices the parameters out, concatenates the gradients back into one [N] vector, and updates
 * all N values with a handful of large elementwise ops. The engine owns two sets of buffers and
 * ping-pongs them: step k reads set A and writes set B through preallocated outputs, step k+1 the
 * other way round.
 *
 * Two ways to run a step:
 * - fused: one graph does forward, backward and the update (`step`);
 * - accumulated: a gradient graph adds each micro-batch's gradient, scaled by 1/k, into a gradient
 *   buffer, then an update graph applies clipping and AdamW once (`stepAccumulated`).
 */
import { grad } from '../graph/autodiff.js';
import { Graph } from '../graph/graph.js';
import * as g from '../graph/ops.js';
import type { Tensor } from '../graph/tensor.js';
import { type ParamSpec, initLlamaParams, llamaLoss, llamaParamSpecs } from '../nn/llama.js';
import type { LlamaConfig } from '../nn/presets.js';
import { Session, type SessionOptions, ort } from '../onnx/session.js';
import { ADAMW_DEFAULTS, type AdamWOptions, adamwUpdate, clipScale } from './adamw.js';

export interface StepShape {
  batch: number; // B
  seqLen: number; // T
}

interface Layout {
  specs: ParamSpec[];
  sizes: number[];
  N: number;
}

function layout(cfg: LlamaConfig): Layout {
  const specs = llamaParamSpecs(cfg);
  const sizes = specs.map((s) => s.shape.reduce((a, b) => a * b, 1));
  return { specs, sizes, N: sizes.reduce((a, b) => a + b, 0) };
}

/** Loss and its gradient as one flat [N] vector, for flat parameters [N]. */
function flatLossAndGrad(cfg: LlamaConfig, { specs, sizes }: Layout, flat: Tensor, tokens: Tensor, targets: Tensor): { loss: Tensor; gradFlat: Tensor } {
  const views = g.split(flat, 0, sizes).map((p, i) => g.reshape(p, specs[i]!.shape)); // one view per parameter
  const loss = llamaLoss(cfg, Object.fromEntries(specs.map((s, i) => [s.name, views[i]!])), tokens, targets);
  // NOTE: gradients are taken wrt the views, not the flat vector, so no [N]-sized zeros are padded per parameter.
  const grads = grad(loss, views).map((d) => g.reshape(d, [-1]));
  return { loss, gradFlat: g.concat(grads, 0) }; // [N]
}

/** Clipping + AdamW on flat vectors; adds the outputs params_out, m_out, v_out, grad_norm. */
function flatUpdate(graph: Graph, { specs, sizes, N }: Layout, flat: Tensor, gradFlat: Tensor, opts: AdamWOptions): void {
  const m = graph.input('m', [N]);
  const v = graph.input('v', [N]);
  const lr = graph.input('lr', []);
  const step = graph.input('step', []);
  const clip = opts.maxGradNorm === null ? null : clipScale([gradFlat], opts.maxGradNorm);
  const next = adamwUpdate({ param: flat, m, v }, gradFlat, { lr, step, gradScale: clip?.scale }, opts, decayMask(graph, specs, sizes));
  graph.output('params_out', next.param);
  graph.output('m_out', next.m);
  graph.output('v_out', next.v);
  graph.output('grad_norm', clip?.norm ?? g.sqrt(g.reduceSum(g.mul(gradFlat, gradFlat))));
}

/** The fused step. Inputs: params, m, v [N]; tokens, targets [B, T] int64; lr, step (scalars). */
export function buildLlamaTrainStep(cfg: LlamaConfig, { batch: B, seqLen: T }: StepShape, opts: AdamWOptions = ADAMW_DEFAULTS): { graph: Graph; specs: ParamSpec[]; numParams: number } {
  const lay = layout(cfg);
  const graph = new Graph('llama-train-step');
  const flat = graph.input('params', [lay.N]); // [N]
  const { loss, gradFlat } = flatLossAndGrad(cfg, lay, flat, graph.input('tokens', [B, T], 'int64'), graph.input('targets', [B, T], 'int64'));
  flatUpdate(graph, lay, flat, gradFlat, opts);
  graph.output('loss', loss);
  return { graph, specs: lay.specs, numParams: lay.N };
}

/** One micro-batch: grad_out = grad_in + scale·∇loss. Inputs: params, grad_in [N]; tokens, targets; scale. */
export function buildLlamaGradStep(cfg: LlamaConfig, { batch: B, seqLen: T }: StepShape): Graph {
  const lay = layout(cfg);
  const graph = new Graph('llama-grad-step');
  const flat = graph.input('params', [lay.N]);
  const acc = graph.input('grad_in', [lay.N]);
  const scale = graph.input('scale', []);
  const { loss, gradFlat } = flatLossAndGrad(cfg, lay, flat, graph.input('tokens', [B, T], 'int64'), graph.input('targets', [B, T], 'int64'));
  graph.output('grad_out', g.add(acc, g.mul(gradFlat, scale)));
  graph.output('loss', loss);
  return graph;
}

/** The update alone. Inputs: params, grad, m, v [N]; lr, step. */
export function buildLlamaUpdateStep(cfg: LlamaConfig, opts: AdamWOptions = ADAMW_DEFAULTS): Graph {
  const lay = layout(cfg);
  const graph = new Graph('llama-update-step');
  flatUpdate(graph, lay, graph.input('params', [lay.N]), graph.input('grad', [lay.N]), opts);
  return graph;
}

/** 1 where weight decay applies, 0 elsewhere, [N]; filled at run time from runs of equal flags. */
function decayMask(graph: Graph, specs: ParamSpec[], sizes: number[]): Tensor {
  const runs: { decay: boolean; n: number }[] = [];
  specs.forEach((s, i) => {
    const last = runs[runs.length - 1];
    if (last && last.decay === s.decay) last.n += sizes[i]!;
    else runs.push({ decay: s.decay, n: sizes[i]! });
  });
  return g.concat(runs.map((r) => g.full(graph, [r.n], r.decay ? 1 : 0)), 0);
}

export interface StepResult {
  loss: number;
  gradNorm: number;
  seconds: number;
  /** True when the loss or the gradient norm was not finite: the update was discarded. */
  skipped: boolean;
}

/** What a checkpoint needs to continue exactly: parameters, both moments and the step number. */
export interface OptimizerState {
  params: Float32Array;
  m: Float32Array;
  v: Float32Array;
  step: number;
}

export interface MicroBatch {
  tokens: BigInt64Array; // [B, T]
  targets: BigInt64Array; // [B, T]
}

type Buffers = { params: Float32Array; m: Float32Array; v: Float32Array };
type TrainStepOptions = { adamw?: AdamWOptions; session?: SessionOptions; seed?: number; initial?: Float32Array };

/** Runs step graphs on engine-owned, ping-ponged buffers. */
export class LlamaTrainStep {
  private cur: Buffers;
  private nxt: Buffers;
  private grads?: [Float32Array, Float32Array];
  private scalars = { loss: new Float32Array(1), gradNorm: new Float32Array(1) };
  private accumulate?: { grad: Session; update: Session };
  stepCount = 0;

  private constructor(
    readonly cfg: LlamaConfig,
    readonly shape: StepShape,
    private readonly opts: TrainStepOptions,
    readonly session: Session,
    readonly specs: ParamSpec[],
    readonly numParams: number,
  ) {
    const set = (): Buffers => ({ params: new Float32Array(numParams), m: new Float32Array(numParams), v: new Float32Array(numParams) });
    this.cur = set();
    this.nxt = set();
    this.cur.params.set(opts.initial ?? initLlamaParams(cfg, opts.seed ?? 0));
  }

  /** Compiles the fused step for micro-batches of `shape`. */
  static async create(cfg: LlamaConfig, shape: StepShape, opts: TrainStepOptions = {}): Promise<LlamaTrainStep> {
    const { graph, specs, numParams } = buildLlamaTrainStep(cfg, shape, opts.adamw);
    return new LlamaTrainStep(cfg, shape, opts, await Session.create(graph, opts.session), specs, numParams);
  }

  /** The current parameters (a view; valid until the next step). */
  get params(): Float32Array {
    return this.cur.params;
  }

  /** A copy of the optimizer state (for checkpoints). */
  state(): OptimizerState {
    return { params: this.cur.params.slice(), m: this.cur.m.slice(), v: this.cur.v.slice(), step: this.stepCount };
  }

  /** Continues from a saved state. */
  load(s: OptimizerState): void {
    for (const k of ['params', 'm', 'v'] as const) {
      if (s[k].length !== this.numParams) throw new Error(`load: ${k} has ${s[k].length} values, the model has ${this.numParams}`);
      this.cur[k].set(s[k]);
    }
    this.stepCount = s.step;
  }

  /** One fused step on one batch. */
  async step(tokens: BigInt64Array, targets: BigInt64Array, lr: number): Promise<StepResult> {
    const t0 = performance.now();
    await this.session.run(
      { params: this.cur.params, m: this.cur.m, v: this.cur.v, tokens, targets, lr: Float32Array.of(lr), step: Float32Array.of(this.stepCount + 1) },
      { ...this.stateFetches(), loss: this.scalarTensor(this.scalars.loss) },
    );
    return this.commit(this.scalars.loss[0]!, t0);
  }

  /**
   * Keeps the new state (swaps the ping-pong buffers), unless the step was not finite: then the
   * previous state is still intact in `cur` and the update is simply dropped.
   */
  private commit(loss: number, t0: number): StepResult {
    const gradNorm = this.scalars.gradNorm[0]!;
    const skipped = !Number.isFinite(loss) || !Number.isFinite(gradNorm);
    if (!skipped) {
      [this.cur, this.nxt] = [this.nxt, this.cur];
      this.stepCount++;
    }
    return { loss, gradNorm, seconds: (performance.now() - t0) / 1000, skipped };
  }

  /** One step over k micro-batches: their gradients are averaged, then clipped and applied once. */
  async stepAccumulated(micro: readonly MicroBatch[], lr: number): Promise<StepResult> {
    const t0 = performance.now();
    if (!this.accumulate) {
      const [grad, update] = await Promise.all([
        Session.create(buildLlamaGradStep(this.cfg, this.shape), this.opts.session),
        Session.create(buildLlamaUpdateStep(this.cfg, this.opts.adamw), this.opts.session),
      ]);
      this.accumulate = { grad, update };
      this.grads = [new Float32Array(this.numParams), new Float32Array(this.numParams)];
    }
    const grads = this.grads!;
    grads[0].fill(0);
    const scale = Float32Array.of(1 / micro.length);
    let loss = 0;
    for (const { tokens, targets } of micro) {
      await this.accumulate.grad.run(
        { params: this.cur.params, grad_in: grads[0], tokens, targets, scale },
        { grad_out: new ort.Tensor('float32', grads[1], [this.numParams]), loss: this.scalarTensor(this.scalars.loss) },
      );
      grads.reverse();
      loss += this.scalars.loss[0]! / micro.length;
    }
    await this.accumulate.update.run(
      { params: this.cur.params, grad: grads[0], m: this.cur.m, v: this.cur.v, lr: Float32Array.of(lr), step: Float32Array.of(this.stepCount + 1) },
      this.stateFetches(),
    );
    return this.commit(loss, t0);
  }

  private stateFetches(): Record<string, ort.Tensor> {
    const n = [this.numParams];
    return {
      params_out: new ort.Tensor('float32', this.nxt.params, n),
      m_out: new ort.Tensor('float32', this.nxt.m, n),
      v_out: new ort.Tensor('float32', this.nxt.v, n),
      grad_norm: this.scalarTensor(this.scalars.gradNorm),
    };
  }

  private scalarTensor(buf: Float32Array): ort.Tensor {
    return new ort.Tensor('float32', buf, []);
  }
}
