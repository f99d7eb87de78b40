/**
 * A whole Llama training step as one graph: forward, loss, gradients, global-norm clipping and AdamW.
 * Parameters and both Adam moments are flat Float32Arrays [N] laid out as llamaParamSpecs; the graph
 * slices the parameters out, concatenates the gradients back into one [N] vector, and updates all N
 * values with a handful of large elementwise ops. The engine owns two sets of buffers and ping-pongs
 * them: step k reads set A and writes set B through preallocated outputs, step k+1 the other way round.
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

/** Builds the step graph. Inputs: params, m, v [N]; tokens, targets [B, T] int64; lr, step (scalars). */
export function buildLlamaTrainStep(cfg: LlamaConfig, { batch: B, seqLen: T }: StepShape, opts: AdamWOptions = ADAMW_DEFAULTS): { graph: Graph; specs: ParamSpec[]; numParams: number } {
  const specs = llamaParamSpecs(cfg);
  const sizes = specs.map((s) => s.shape.reduce((a, b) => a * b, 1));
  const N = sizes.reduce((a, b) => a + b, 0);
  const graph = new Graph('llama-train-step');
  const flat = graph.input('params', [N]); // [N]
  const m = graph.input('m', [N]);
  const v = graph.input('v', [N]);
  const tokens = graph.input('tokens', [B, T], 'int64');
  const targets = graph.input('targets', [B, T], 'int64');
  const lr = graph.input('lr', []);
  const step = graph.input('step', []);

  const views = g.split(flat, 0, sizes).map((p, i) => g.reshape(p, specs[i]!.shape)); // one view per parameter
  const params = Object.fromEntries(specs.map((s, i) => [s.name, views[i]!]));
  const loss = llamaLoss(cfg, params, tokens, targets);
  // NOTE: gradients are taken wrt the views, not the flat vector, so no [N]-sized zeros are padded per parameter.
  const grads = grad(loss, views).map((d) => g.reshape(d, [-1]));
  const gradFlat = g.concat(grads, 0); // [N]

  const clip = opts.maxGradNorm === null ? null : clipScale([gradFlat], opts.maxGradNorm);
  const next = adamwUpdate({ param: flat, m, v }, gradFlat, { lr, step, gradScale: clip?.scale }, opts, decayMask(graph, specs, sizes));
  graph.output('params_out', next.param);
  graph.output('m_out', next.m);
  graph.output('v_out', next.v);
  graph.output('loss', loss);
  graph.output('grad_norm', clip?.norm ?? g.sqrt(g.reduceSum(g.mul(gradFlat, gradFlat))));
  return { graph, specs, numParams: N };
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
}

/** Runs the step graph on engine-owned, ping-ponged buffers. */
export class LlamaTrainStep {
  private cur: { params: Float32Array; m: Float32Array; v: Float32Array };
  private nxt: { params: Float32Array; m: Float32Array; v: Float32Array };
  private scalars = { loss: new Float32Array(1), gradNorm: new Float32Array(1) };
  stepCount = 0;

  private constructor(
    readonly session: Session,
    readonly specs: ParamSpec[],
    readonly numParams: number,
    initial: Float32Array,
  ) {
    const set = () => ({ params: new Float32Array(numParams), m: new Float32Array(numParams), v: new Float32Array(numParams) });
    this.cur = set();
    this.nxt = set();
    this.cur.params.set(initial);
  }

  static async create(cfg: LlamaConfig, shape: StepShape, opts: { adamw?: AdamWOptions; session?: SessionOptions; seed?: number; initial?: Float32Array } = {}): Promise<LlamaTrainStep> {
    const { graph, specs, numParams } = buildLlamaTrainStep(cfg, shape, opts.adamw);
    const session = await Session.create(graph, opts.session);
    return new LlamaTrainStep(session, specs, numParams, opts.initial ?? initLlamaParams(cfg, opts.seed ?? 0));
  }

  /** The current parameters (a view; valid until the next step). */
  get params(): Float32Array {
    return this.cur.params;
  }

  async step(tokens: BigInt64Array, targets: BigInt64Array, lr: number): Promise<StepResult> {
    const t0 = performance.now();
    this.stepCount++;
    const n = this.numParams;
    const fetches = {
      params_out: new ort.Tensor('float32', this.nxt.params, [n]),
      m_out: new ort.Tensor('float32', this.nxt.m, [n]),
      v_out: new ort.Tensor('float32', this.nxt.v, [n]),
      loss: new ort.Tensor('float32', this.scalars.loss, []),
      grad_norm: new ort.Tensor('float32', this.scalars.gradNorm, []),
    };
    await this.session.run(
      { params: this.cur.params, m: this.cur.m, v: this.cur.v, tokens, targets, lr: Float32Array.of(lr), step: Float32Array.of(this.stepCount) },
      fetches,
    );
    [this.cur, this.nxt] = [this.nxt, this.cur];
    return { loss: this.scalars.loss[0]!, gradNorm: this.scalars.gradNorm[0]!, seconds: (performance.now() - t0) / 1000 };
  }
}
