/**
 * A whole Llama training step as graphs: forward, loss, gradients, global-norm clipping and AdamW.
 * Parameters and both Adam moments live in flat Float32Arrays [N] laid out as llamaParamSpecs, but the
 * graphs see one input and one output per parameter, fed as views of those flat buffers: ONNX Runtime
 * reads and writes them in place, and the update runs parameter by parameter, so its temporaries are
 * the size of one parameter, never [N] (no split copy, no concatenated gradient, no [N] decay mask).
 * The engine owns two sets of buffers and ping-pongs them: step k reads set A and writes set B through
 * preallocated outputs, step k+1 the other way round.
 *
 * Two ways to run a step:
 * - fused: one graph does forward, backward and the update (`step`);
 * - accumulated: a gradient graph adds each micro-batch's gradient, scaled by 1/k, into a gradient
 *   buffer, then an update graph applies clipping and AdamW once (`stepAccumulated`).
 *
 * Graph names, per parameter `p` of llamaParamSpecs: inputs `param.p`, `m.p`, `v.p` (and `grad.p`,
 * `grad_in.p` where a graph takes gradients); outputs `param_out.p`, `m_out.p`, `v_out.p`, `grad_out.p`.
 */
import { grad } from '../graph/autodiff.js';
import { Graph } from '../graph/graph.js';
import * as g from '../graph/ops.js';
import type { Tensor } from '../graph/tensor.js';
import { type ParamSpec, initLlamaParams, llamaLoss, llamaParamSpecs } from '../nn/llama.js';
import type { LlamaConfig } from '../nn/presets.js';
import { Session, type SessionOptions, ort } from '../onnx/session.js';
import { ADAMW_DEFAULTS, type AdamWOptions, adamwUpdate, clipScale, globalNorm } from './adamw.js';

export interface StepShape {
  batch: number; // B
  seqLen: number; // T
}

/** One input or output per parameter: `param.embed`, `m_out.layers.0.wq`, … */
export const paramIo = (kind: 'param' | 'm' | 'v' | 'grad' | 'grad_in' | 'param_out' | 'm_out' | 'v_out' | 'grad_out', spec: ParamSpec): string => `${kind}.${spec.name}`;

/** Where each parameter sits in the flat [N] buffers. */
export interface ParamLayout {
  specs: ParamSpec[];
  offsets: number[];
  sizes: number[];
  N: number;
}

/** The flat layout of a config's parameters (llamaParamSpecs order). */
export function paramLayout(cfg: LlamaConfig): ParamLayout {
  const specs = llamaParamSpecs(cfg);
  const sizes = specs.map((s) => s.shape.reduce((a, b) => a * b, 1));
  const offsets = sizes.map((_, i) => sizes.slice(0, i).reduce((a, b) => a + b, 0));
  return { specs, offsets, sizes, N: sizes.reduce((a, b) => a + b, 0) };
}

/** ort.Tensors viewing each parameter's slice of a flat buffer, named `${kind}.${param}`. */
export function paramViews(lay: ParamLayout, kind: Parameters<typeof paramIo>[0], flat: Float32Array): Record<string, ort.Tensor> {
  return Object.fromEntries(lay.specs.map((s, i) => [paramIo(kind, s), new ort.Tensor('float32', flat.subarray(lay.offsets[i]!, lay.offsets[i]! + lay.sizes[i]!), s.shape)]));
}

/** Declares one graph input per parameter. */
function declareParams(graph: Graph, lay: ParamLayout, kind: 'param' | 'm' | 'v' | 'grad' | 'grad_in'): Tensor[] {
  return lay.specs.map((s) => graph.input(paramIo(kind, s), s.shape));
}

/** Loss and its gradient, one tensor per parameter. */
function lossAndGrads(cfg: LlamaConfig, lay: ParamLayout, params: Tensor[], tokens: Tensor, targets: Tensor): { loss: Tensor; grads: Tensor[] } {
  const loss = llamaLoss(cfg, Object.fromEntries(lay.specs.map((s, i) => [s.name, params[i]!])), tokens, targets);
  return { loss, grads: grad(loss, params) };
}

/** Clipping + AdamW, parameter by parameter; adds the outputs param_out.*, m_out.*, v_out.*, grad_norm. */
function addUpdate(graph: Graph, lay: ParamLayout, params: Tensor[], grads: Tensor[], opts: AdamWOptions): void {
  const m = declareParams(graph, lay, 'm');
  const v = declareParams(graph, lay, 'v');
  const lr = graph.input('lr', []);
  const step = graph.input('step', []);
  const clip = opts.maxGradNorm === null ? null : clipScale(grads, opts.maxGradNorm);
  lay.specs.forEach((s, i) => {
    const next = adamwUpdate({ param: params[i]!, m: m[i]!, v: v[i]! }, grads[i]!, { lr, step, gradScale: clip?.scale }, opts, s.decay ? 1 : 0);
    graph.output(paramIo('param_out', s), next.param);
    graph.output(paramIo('m_out', s), next.m);
    graph.output(paramIo('v_out', s), next.v);
  });
  graph.output('grad_norm', clip?.norm ?? globalNorm(grads));
}

/** The fused step. Inputs: param.*, m.*, v.*; tokens, targets [B, T] int64; lr, step (scalars). */
export function buildLlamaTrainStep(cfg: LlamaConfig, { batch: B, seqLen: T }: StepShape, opts: AdamWOptions = ADAMW_DEFAULTS): { graph: Graph; specs: ParamSpec[]; numParams: number } {
  const lay = paramLayout(cfg);
  const graph = new Graph('llama-train-step');
  const params = declareParams(graph, lay, 'param');
  const { loss, grads } = lossAndGrads(cfg, lay, params, graph.input('tokens', [B, T], 'int64'), graph.input('targets', [B, T], 'int64'));
  addUpdate(graph, lay, params, grads, opts);
  graph.output('loss', loss);
  return { graph, specs: lay.specs, numParams: lay.N };
}

/** One micro-batch: grad_out.p = grad_in.p + scale·∇p loss. Inputs: param.*, grad_in.*; tokens, targets; scale. */
export function buildLlamaGradStep(cfg: LlamaConfig, { batch: B, seqLen: T }: StepShape): Graph {
  const lay = paramLayout(cfg);
  const graph = new Graph('llama-grad-step');
  const params = declareParams(graph, lay, 'param');
  const acc = declareParams(graph, lay, 'grad_in');
  const scale = graph.input('scale', []);
  const { loss, grads } = lossAndGrads(cfg, lay, params, graph.input('tokens', [B, T], 'int64'), graph.input('targets', [B, T], 'int64'));
  lay.specs.forEach((s, i) => graph.output(paramIo('grad_out', s), g.add(acc[i]!, g.mul(grads[i]!, scale))));
  graph.output('loss', loss);
  return graph;
}

/** The update alone. Inputs: param.*, grad.*, m.*, v.*; lr, step. */
export function buildLlamaUpdateStep(cfg: LlamaConfig, opts: AdamWOptions = ADAMW_DEFAULTS): Graph {
  const lay = paramLayout(cfg);
  const graph = new Graph('llama-update-step');
  addUpdate(graph, lay, declareParams(graph, lay, 'param'), declareParams(graph, lay, 'grad'), opts);
  return graph;
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
type ViewKind = Parameters<typeof paramIo>[0];

/** Runs step graphs on engine-owned, ping-ponged buffers. */
export class LlamaTrainStep {
  private cur: Buffers;
  private nxt: Buffers;
  private grads?: [Float32Array, Float32Array];
  private scalars = { loss: new Float32Array(1), gradNorm: new Float32Array(1) };
  private accumulate?: { grad: Session; update: Session };
  /** Per-parameter ort.Tensor views of each flat buffer, made once (building them per step would cost ~N/1e6 µs). */
  private readonly viewCache = new Map<Float32Array, Map<ViewKind, Record<string, ort.Tensor>>>();
  private readonly layout: ParamLayout;
  stepCount = 0;

  private constructor(
    readonly cfg: LlamaConfig,
    readonly shape: StepShape,
    private readonly opts: TrainStepOptions,
    readonly session: Session,
    readonly specs: ParamSpec[],
    readonly numParams: number,
  ) {
    this.layout = paramLayout(cfg);
    const set = (): Buffers => ({ params: new Float32Array(numParams), m: new Float32Array(numParams), v: new Float32Array(numParams) });
    this.cur = set();
    this.nxt = set();
    if (opts.initial) this.cur.params.set(opts.initial);
    else initLlamaParams(cfg, opts.seed ?? 0, undefined, this.cur.params);
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
      { ...this.stateFeeds(), tokens, targets, lr: Float32Array.of(lr), step: Float32Array.of(this.stepCount + 1) },
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
        { ...this.views(this.cur.params, 'param'), ...this.views(grads[0], 'grad_in'), tokens, targets, scale },
        { ...this.views(grads[1], 'grad_out'), loss: this.scalarTensor(this.scalars.loss) },
      );
      grads.reverse();
      loss += this.scalars.loss[0]! / micro.length;
    }
    await this.accumulate.update.run(
      { ...this.stateFeeds(), ...this.views(grads[0], 'grad'), lr: Float32Array.of(lr), step: Float32Array.of(this.stepCount + 1) },
      this.stateFetches(),
    );
    return this.commit(loss, t0);
  }

  private views(flat: Float32Array, kind: ViewKind): Record<string, ort.Tensor> {
    const byKind = this.viewCache.get(flat) ?? this.viewCache.set(flat, new Map()).get(flat)!;
    let v = byKind.get(kind);
    if (!v) byKind.set(kind, (v = paramViews(this.layout, kind, flat)));
    return v;
  }

  private stateFeeds(): Record<string, ort.Tensor> {
    return { ...this.views(this.cur.params, 'param'), ...this.views(this.cur.m, 'm'), ...this.views(this.cur.v, 'v') };
  }

  private stateFetches(): Record<string, ort.Tensor> {
    return {
      ...this.views(this.nxt.params, 'param_out'),
      ...this.views(this.nxt.m, 'm_out'),
      ...this.views(this.nxt.v, 'v_out'),
      grad_norm: this.scalarTensor(this.scalars.gradNorm),
    };
  }

  private scalarTensor(buf: Float32Array): ort.Tensor {
    return new ort.Tensor('float32', buf, []);
  }
}
