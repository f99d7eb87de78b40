/**
 * The LoRA fine-tuning loop's unit, the counterpart of trainer.ts for adapters on a frozen base: one
 * `step(batch)` looks up the learning rate, runs the compiled LoRA step (fused, or accumulated over
 * micro-batches) and counts non-finite steps;
 * `evaluate()` scores held-out batches with the adapter on; `saveCheckpoint()` / `LoraTrainer.resume()`
 * stop and continue a run exactly (adapter, moments, schedule position, dropout masks), and
 * `saveAdapter()` writes the adapter alone for PEFT.
 *
 * Batches come from the caller (e.g. data.sftBatch over (prompt, completion) pairs), so the trainer
 * holds no sampler. Step counting follows trainer.ts: reports count from 1, the schedule is indexed by
 * steps taken (skipped ones included), AdamW's t by applied updates.
 *
 * @example
 * const t = await LoraTrainer.create(flatLlamaBase(cfg, params), { r: 8, alpha: 16, dropout: 0.05, targets: ['wq', 'wv'] },
 *   { batch: 8, seqLen: 128, schedule: { kind: 'constant', lr: 1e-3 } });
 * for (const batch of data.sftBatches(train, { seqLen: 128, rows: 8 })) console.log(await t.step(batch));
 * await t.saveAdapter('out/adapter');   // PeftModel.from_pretrained(base, 'out/adapter')
 */
import type { TokenBatch } from '../data/batch-sampler.js';
import { type LoraConfig, type LoraConfigInput, parseLoraConfig } from '../nn/lora.js';
import type { LoraBase } from '../nn/lora-base.js';
import { parseLlamaConfig } from '../nn/presets.js';
import type { SessionOptions } from '../onnx/session.js';
import { savePeftAdapter } from '../formats/peft.js';
import type { AdamWOptions } from '../optim/adamw.js';
import { LORA_ADAMW_DEFAULTS, LoraTrainStep, buildLoraEvalLoss } from '../optim/lora-train-step.js';
import { type LrSchedule, lrScheduleSchema } from '../optim/schedule.js';
import { MicroBatchFeeds } from './batch-feed.js';
import { type EvalResult, LossEvaluator } from './eval-loss.js';
import { type LoraTrainerState, readLoraCheckpoint, writeLoraCheckpoint } from './lora-checkpoint.js';
import { RunProgress, type TrainStepReport, checkRunShape } from './run-progress.js';

export interface LoraTrainerOptions {
  batch: number; // B: rows per optimizer step
  seqLen: number; // T
  /** k: each step's B rows run as k micro-batches of B/k whose gradients are averaged (default 1: one fused graph). */
  microBatches?: number;
  schedule: LrSchedule;
  adamw?: AdamWOptions; // default LORA_ADAMW_DEFAULTS
  /** Seeds the adapter init and the dropout masks (default 0). */
  seed?: number;
  maxNonFiniteInARow?: number; // default 5
  evalBatch?: number; // rows per evaluation run (default B)
  session?: SessionOptions;
  /** Initial adapter [Na] (default: PEFT-style init from the seed). */
  initialAdapters?: Float32Array;
  /** The base's name, written to adapter_config.json as base_model_name_or_path. */
  baseModel?: string | null;
}

type Resolved = Required<Omit<LoraTrainerOptions, 'session' | 'initialAdapters'>>;

export class LoraTrainer {
  private evaluator?: LossEvaluator;

  private constructor(
    readonly base: LoraBase,
    readonly lora: LoraConfig,
    private readonly opts: Resolved,
    private readonly train: LoraTrainStep,
    private readonly feeds: MicroBatchFeeds,
    private readonly progress: RunProgress,
    private readonly session: SessionOptions | undefined,
  ) {}

  /** Compiles the LoRA step for `base` and a batch shape; the adapter starts from the seeded init. */
  static async create(base: LoraBase, lora: LoraConfigInput, options: LoraTrainerOptions): Promise<LoraTrainer> {
    return LoraTrainer.build(base, parseLoraConfig(lora), options, undefined);
  }

  /** A trainer that continues the run saved in `dir` exactly, on the same base (checked by fingerprint). */
  static async resume(dir: string, base: LoraBase, options: { session?: SessionOptions } = {}): Promise<LoraTrainer> {
    const { state, optimizer } = await readLoraCheckpoint(dir);
    if (JSON.stringify(parseLlamaConfig(base.cfg)) !== JSON.stringify(state.config)) {
      throw new Error(`Cannot resume from ${dir}: the run fine-tuned a base of shape ${JSON.stringify(state.config)}, the base given has ${JSON.stringify(base.cfg)}`);
    }
    if (base.fingerprint() !== state.base.fingerprint) {
      throw new Error(`Cannot resume from ${dir}: the base given (${base.fingerprint()}) is not the one the adapter was trained on (${state.base.fingerprint}${state.base.name ? `, ${state.base.name}` : ''}); pass that base`);
    }
    const { shape, schedule, adamw, seed, maxNonFiniteInARow } = state;
    const opts: LoraTrainerOptions = { ...shape, schedule, adamw, seed, maxNonFiniteInARow, session: options.session, baseModel: state.base.name };
    const trainer = await LoraTrainer.build(base, state.lora, opts, state);
    trainer.train.load(optimizer);
    return trainer;
  }

  private static async build(base: LoraBase, lora: LoraConfig, options: LoraTrainerOptions, saved: LoraTrainerState | undefined): Promise<LoraTrainer> {
    const cfg = parseLlamaConfig(base.cfg);
    const opts: Resolved = {
      batch: options.batch,
      seqLen: options.seqLen,
      microBatches: options.microBatches ?? 1,
      schedule: lrScheduleSchema.parse(options.schedule),
      adamw: options.adamw ?? LORA_ADAMW_DEFAULTS,
      seed: options.seed ?? 0,
      maxNonFiniteInARow: options.maxNonFiniteInARow ?? 5,
      evalBatch: options.evalBatch ?? options.batch,
      baseModel: options.baseModel ?? null,
    };
    const { batch: B, seqLen: T, microBatches: k } = opts;
    checkRunShape('LoraTrainer', { batch: B, seqLen: T, microBatches: k, evalBatch: opts.evalBatch }, cfg.maxSeqLen);
    const train = await LoraTrainStep.create(base, lora, { batch: B / k, seqLen: T }, { adamw: opts.adamw, session: options.session, seed: opts.seed, initial: options.initialAdapters });
    const progress = RunProgress.start(opts.maxNonFiniteInARow, saved);
    const feeds = new MicroBatchFeeds(k, B / k, T, cfg.vocabSize);
    return new LoraTrainer(base, lora, opts, train, feeds, progress, options.session);
  }

  /** The current adapter [Na], loraParamSpecs layout (a view; valid until the next step). */
  get adapters(): Float32Array {
    return this.train.adapters;
  }

  /** Counters since the run began (across resumes). */
  get counters(): { step: number; optimizerStep: number; skippedSteps: number; nonFiniteInARow: number; tokensSeen: number } {
    return this.progress.report(this.train.stepCount);
  }

  /** One optimizer step on `batch` ([B·T] inputs and targets, −100 = not scored). Throws NonFiniteLossError after too many bad steps in a row. */
  async step(batch: TokenBatch): Promise<TrainStepReport> {
    const t0 = performance.now();
    const { batch: B, seqLen: T } = this.opts;
    return this.progress.take(this.train, this.feeds.load(batch).micro, this.opts.schedule, B * T, t0);
  }

  /** Mean loss and perplexity of the adapted model over every scored target of `batches` (no dropout). */
  async evaluate(batches: Iterable<TokenBatch>): Promise<EvalResult> {
    const shape = { batch: this.opts.evalBatch, seqLen: this.opts.seqLen };
    this.evaluator ??= await LossEvaluator.forGraph(this.base.cfg, shape, buildLoraEvalLoss(this.base, this.lora, shape), this.session);
    return this.evaluator.evaluate({ ...this.base.feeds, adapters: this.train.adapters }, batches);
  }

  /** What state.json records (without the tensors). */
  state(): LoraTrainerState {
    const { batch, seqLen, microBatches, schedule, adamw, seed, maxNonFiniteInARow, baseModel } = this.opts;
    return {
      format: 'crucible-lora-checkpoint',
      version: 1,
      step: this.progress.step,
      optimizerStep: this.train.stepCount,
      config: parseLlamaConfig(this.base.cfg),
      lora: this.lora,
      base: { fingerprint: this.base.fingerprint(), name: baseModel },
      shape: { batch, seqLen, microBatches },
      schedule,
      adamw,
      seed,
      maxNonFiniteInARow,
      dropout: this.train.state().dropout,
      counters: this.progress.counters(),
    };
  }

  /** Writes the adapter (PEFT layout), its moments and state.json to a new directory, atomically. */
  async saveCheckpoint(dir: string): Promise<void> {
    await writeLoraCheckpoint(dir, this.train.state(), this.state());
  }

  /** Writes the adapter alone as a PEFT adapter directory (adapter_config.json + adapter_model.safetensors). */
  async saveAdapter(dir: string): Promise<void> {
    await savePeftAdapter(dir, this.base.cfg, this.lora, this.train.adapters, { baseModel: this.opts.baseModel });
  }
}
