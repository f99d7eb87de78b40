/**
 * What Trainer and LoraTrainer share: the checks on a run's shape, and the run's progress — steps taken
 * (the schedule's index, skipped steps included), tokens seen, non-finite steps — with the one optimizer
 * step both take: the schedule's learning rate, then the compiled step, fused (one micro-batch) or
 * accumulated over k. AdamW's own t (the step's stepCount) counts only applied updates.
 */
import type { MicroBatch, StepResult } from '../optim/train-step.js';
import { type LrSchedule, lrAt } from '../optim/schedule.js';
import { NonFiniteGuard } from './non-finite.js';

/** What one step reports. */
export interface TrainStepReport {
  step: number; // 1-based number of this step
  loss: number; // mean over the batch (over micro-batches when accumulating)
  gradNorm: number; // global L2 norm before clipping
  lr: number;
  seconds: number; // wall time, batch drawing included
  tokensPerSecond: number;
  skipped: boolean; // non-finite loss or gradient: the update was dropped
}

/** A compiled train step (full or LoRA). */
export interface OptimizerStep {
  readonly stepCount: number;
  step(tokens: BigInt64Array, targets: BigInt64Array, lr: number): Promise<StepResult>;
  stepAccumulated(micro: readonly MicroBatch[], lr: number): Promise<StepResult>;
}

/** The counters state.json keeps. */
export interface RunCounters {
  skippedSteps: number;
  nonFiniteInARow: number;
  tokensSeen: number;
}

/** Rows, sequence length, micro-batches and evaluation rows of a run. */
export interface RunShape {
  batch: number;
  seqLen: number;
  microBatches: number;
  evalBatch: number;
}

/** Throws (naming `who`) unless every count is a positive integer, B splits into the micro-batches and T fits the model. */
export function checkRunShape(who: string, shape: RunShape, maxSeqLen: number): void {
  const { batch: B, seqLen: T, microBatches: k } = shape;
  for (const [name, v] of Object.entries(shape)) {
    if (!Number.isInteger(v) || v <= 0) throw new Error(`${who}: ${name} must be a positive integer, got ${v}`);
  }
  if (B % k !== 0) throw new Error(`${who}: batch ${B} must be divisible by microBatches ${k} (each micro-batch has B/k rows)`);
  if (T > maxSeqLen) throw new Error(`${who}: seqLen ${T} exceeds the model's maxSeqLen ${maxSeqLen}`);
}

export class RunProgress {
  private constructor(
    private stepsTaken: number,
    private tokensSeen: number,
    private readonly guard: NonFiniteGuard,
  ) {}

  /** A run's progress: from zero, or from a checkpoint's step and counters. */
  static start(maxNonFiniteInARow: number, saved?: { step: number; counters: RunCounters }): RunProgress {
    const guard = new NonFiniteGuard(maxNonFiniteInARow, saved?.counters.skippedSteps, saved?.counters.nonFiniteInARow);
    return new RunProgress(saved?.step ?? 0, saved?.counters.tokensSeen ?? 0, guard);
  }

  /** Steps taken (skipped ones included). */
  get step(): number {
    return this.stepsTaken;
  }

  /**
   * One optimizer step over `micro` (B·T tokens in all) at the schedule's learning rate; `t0` is when the
   * step began (batch loading included). Throws NonFiniteLossError when this makes too many non-finite steps in a row.
   */
  async take(train: OptimizerStep, micro: readonly MicroBatch[], schedule: LrSchedule, tokens: number, t0: number): Promise<TrainStepReport> {
    const lr = lrAt(this.stepsTaken, schedule);
    const r = micro.length === 1 ? await train.step(micro[0]!.tokens, micro[0]!.targets, lr) : await train.stepAccumulated(micro, lr);
    this.stepsTaken++;
    this.tokensSeen += tokens;
    const seconds = (performance.now() - t0) / 1000;
    this.guard.record(r.skipped, this.stepsTaken, r.loss, r.gradNorm);
    return { step: this.stepsTaken, loss: r.loss, gradNorm: r.gradNorm, lr, seconds, tokensPerSecond: tokens / seconds, skipped: r.skipped };
  }

  /** The counters a checkpoint saves. */
  counters(): RunCounters {
    return { skippedSteps: this.guard.skippedTotal, nonFiniteInARow: this.guard.inARow, tokensSeen: this.tokensSeen };
  }

  /** Every counter, with AdamW's applied updates (`optimizerStep`). */
  report(optimizerStep: number): { step: number; optimizerStep: number } & RunCounters {
    return { step: this.stepsTaken, optimizerStep, ...this.counters() };
  }
}
