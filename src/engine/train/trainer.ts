/**
 * The training loop's unit: one `step()` draws a batch (or takes the caller's), looks up the learning
 * rate, runs the compiled train step (fused, or accumulated over micro-batches), and counts non-finite
 * steps; `evaluate()` scores held-out batches; `saveCheckpoint()` / `Trainer.resume()` stop and continue
 * a run exactly (same parameters, moments, schedule position and batches, bit for bit).
 *
 * Steps count from 1 in reports. The schedule is indexed by steps taken, skipped ones included: a
 * skipped step still consumed its batch and its slot in the schedule (as PyTorch's loop with a
 * GradScaler does), while AdamW's own t counts only applied updates.
 *
 * @example
 * const trainer = await Trainer.create(preset('nano'), { batch: 8, seqLen: 64, shards, schedule: { lr: 3e-3, warmupSteps: 10, totalSteps: 200, minLr: 3e-4 } });
 * for (let i = 0; i < 200; i++) console.log(await trainer.step()); // { step, loss, gradNorm, lr, seconds, tokensPerSecond, skipped }
 * await trainer.saveCheckpoint('ckpt/step-000200');
 */
import { BatchSampler, type TokenBatch } from '../data/batch-sampler.js';
import type { TokenShardReader } from '../data/token-shard-reader.js';
import { parseLlamaConfig, type LlamaConfig } from '../nn/presets.js';
import type { SessionOptions } from '../onnx/session.js';
import { ADAMW_DEFAULTS, type AdamWOptions } from '../optim/adamw.js';
import { lrScheduleSchema, type LrSchedule } from '../optim/schedule.js';
import { LlamaTrainStep } from '../optim/train-step.js';
import { MicroBatchFeeds } from './batch-feed.js';
import { readCheckpoint, writeCheckpoint, type TrainerState } from './checkpoint.js';
import { type EvalResult, LossEvaluator } from './eval-loss.js';
import { RunProgress, type TrainStepReport, checkRunShape } from './run-progress.js';

export type { TrainStepReport } from './run-progress.js';

export interface TrainerOptions {
  batch: number; // B: rows per optimizer step
  seqLen: number; // T
  /** k: each step's B rows run as k micro-batches of B/k whose gradients are averaged (default 1: one fused graph). */
  microBatches?: number;
  schedule: LrSchedule;
  adamw?: AdamWOptions;
  /** Seeds the parameter init and the batch sampler (default 0). */
  seed?: number;
  /** Token shards the seeded sampler draws from when `step()` is given no batch. */
  shards?: readonly TokenShardReader[];
  /** Abort with NonFiniteLossError after this many non-finite steps in a row (default 5). */
  maxNonFiniteInARow?: number;
  /** Rows per evaluation graph run (default B). */
  evalBatch?: number;
  session?: SessionOptions;
  /** Initial parameters laid out as llamaParamSpecs (default: the seeded init). */
  initialParams?: Float32Array;
}

type Resolved = Required<Omit<TrainerOptions, 'shards' | 'session' | 'initialParams'>>;

export class Trainer {
  private evaluator?: LossEvaluator;

  private constructor(
    readonly config: LlamaConfig,
    private readonly opts: Resolved,
    private readonly train: LlamaTrainStep,
    private readonly feeds: MicroBatchFeeds,
    private readonly sampler: BatchSampler | undefined,
    private readonly progress: RunProgress,
    private readonly session: SessionOptions | undefined,
  ) {}

  /** Compiles the step graph(s) for a model and batch shape; the parameters start from the seeded init. */
  static async create(config: LlamaConfig, options: TrainerOptions): Promise<Trainer> {
    return Trainer.build(config, options, undefined);
  }

  /** A trainer that continues the run saved in `dir` exactly; pass the same shards the run was sampling. */
  static async resume(dir: string, options: { shards?: readonly TokenShardReader[]; session?: SessionOptions } = {}): Promise<Trainer> {
    const { state, optimizer } = await readCheckpoint(dir);
    if (state.sampler !== null && options.shards === undefined) {
      throw new Error(`Cannot resume from ${dir}: the run sampled its batches from token shards (${state.sampler.shards.map((s) => s.name).join(', ')}); pass them as options.shards`);
    }
    const trainer = await Trainer.build(
      state.config,
      {
        batch: state.shape.batch,
        seqLen: state.shape.seqLen,
        microBatches: state.shape.microBatches,
        schedule: state.schedule,
        adamw: state.adamw,
        seed: state.seed,
        maxNonFiniteInARow: state.maxNonFiniteInARow,
        shards: state.sampler === null ? undefined : options.shards,
        session: options.session,
        initialParams: optimizer.params,
      },
      state,
    );
    trainer.train.load(optimizer);
    return trainer;
  }

  private static async build(config: LlamaConfig, options: TrainerOptions, saved: TrainerState | undefined): Promise<Trainer> {
    const cfg = parseLlamaConfig(config);
    const opts: Resolved = {
      batch: options.batch,
      seqLen: options.seqLen,
      microBatches: options.microBatches ?? 1,
      schedule: lrScheduleSchema.parse(options.schedule),
      adamw: options.adamw ?? ADAMW_DEFAULTS,
      seed: options.seed ?? 0,
      maxNonFiniteInARow: options.maxNonFiniteInARow ?? 5,
      evalBatch: options.evalBatch ?? options.batch,
    };
    const { batch: B, seqLen: T, microBatches: k } = opts;
    checkRunShape('Trainer', { batch: B, seqLen: T, microBatches: k, evalBatch: opts.evalBatch }, cfg.maxSeqLen);
    const progress = RunProgress.start(opts.maxNonFiniteInARow, saved);
    let sampler: BatchSampler | undefined;
    if (options.shards !== undefined) sampler = saved?.sampler ? BatchSampler.resume(options.shards, saved.sampler) : BatchSampler.create(options.shards, { seed: opts.seed });
    const train = await LlamaTrainStep.create(cfg, { batch: B / k, seqLen: T }, { adamw: opts.adamw, session: options.session, seed: opts.seed, initial: options.initialParams });
    const feeds = new MicroBatchFeeds(k, B / k, T, cfg.vocabSize);
    return new Trainer(cfg, opts, train, feeds, sampler, progress, options.session);
  }

  /** The current parameters, laid out as llamaParamSpecs (a view; valid until the next step). */
  get params(): Float32Array {
    return this.train.params;
  }

  /** Counters since the run began (across resumes). */
  get counters(): { step: number; optimizerStep: number; skippedSteps: number; nonFiniteInARow: number; tokensSeen: number } {
    return this.progress.report(this.train.stepCount);
  }

  /**
   * One optimizer step on `batch` ([B·T] inputs and targets), or on the sampler's next batch (a
   * caller's batch leaves the sampler where it was, so a resume replays only sampled batches).
   * Throws NonFiniteLossError when this step makes `maxNonFiniteInARow` non-finite steps in a row.
   */
  async step(batch?: TokenBatch): Promise<TrainStepReport> {
    const t0 = performance.now();
    const { batch: B, seqLen: T } = this.opts;
    if (batch === undefined && this.sampler === undefined) throw new Error('Trainer.step: no batch given, and the trainer has no shards to sample from (pass options.shards)');
    this.feeds.load(batch ?? this.sampler!.nextBatch(B, T));
    return this.progress.take(this.train, this.feeds.micro, this.opts.schedule, B * T, t0);
  }

  /** Mean loss and perplexity over every scored target of `batches` (forward only; e.g. from data.evalBatches). */
  async evaluate(batches: Iterable<TokenBatch>): Promise<EvalResult> {
    this.evaluator ??= await LossEvaluator.create(this.config, { batch: this.opts.evalBatch, seqLen: this.opts.seqLen }, this.session);
    return this.evaluator.evaluate(this.train.params, batches);
  }

  /** What state.json records (without the tensors). */
  state(): TrainerState {
    const { batch, seqLen, microBatches, schedule, adamw, seed, maxNonFiniteInARow } = this.opts;
    return {
      format: 'crucible-train-checkpoint',
      version: 1,
      step: this.progress.step,
      optimizerStep: this.train.stepCount,
      config: this.config,
      shape: { batch, seqLen, microBatches },
      schedule,
      adamw,
      seed,
      maxNonFiniteInARow,
      sampler: this.sampler?.cursor() ?? null,
      counters: this.progress.counters(),
    };
  }

  /** Writes parameters, both Adam moments and state.json to a new directory `dir`, atomically. */
  async saveCheckpoint(dir: string): Promise<void> {
    await writeCheckpoint(dir, this.train.state(), this.state());
  }
}
