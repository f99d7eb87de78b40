import { describe, expect, it } from 'vitest';
import type { MicroBatch, StepResult } from '../optim/train-step.js';
import { NonFiniteLossError } from './non-finite.js';
import { type OptimizerStep, RunProgress, checkRunShape } from './run-progress.js';

/** A train step that replays the given losses (NaN = a non-finite step) and records how it was called. */
function scripted(losses: number[]): OptimizerStep & { calls: string[] } {
  const calls: string[] = [];
  let applied = 0;
  const next = (how: string, lr: number): Promise<StepResult> => {
    calls.push(`${how}@${lr}`);
    const loss = losses.shift()!;
    const skipped = !Number.isFinite(loss);
    if (!skipped) applied++;
    return Promise.resolve({ loss, gradNorm: 1, seconds: 0, skipped });
  };
  return {
    calls,
    get stepCount() {
      return applied;
    },
    step: (_t, _y, lr) => next('fused', lr),
    stepAccumulated: (micro, lr) => next(`accumulated×${micro.length}`, lr),
  };
}

const micro = (k: number): MicroBatch[] => Array.from({ length: k }, () => ({ tokens: new BigInt64Array(4), targets: new BigInt64Array(4) }));
const schedule = { kind: 'constant' as const, lr: 0.5 };

describe('run progress', () => {
  it('checks the run shape, naming the trainer', () => {
    const ok = { batch: 8, seqLen: 16, microBatches: 2, evalBatch: 4 };
    expect(() => checkRunShape('T', ok, 16)).not.toThrow();
    expect(() => checkRunShape('T', { ...ok, evalBatch: 0 }, 16)).toThrow(/^T: evalBatch must be a positive integer, got 0/);
    expect(() => checkRunShape('T', { ...ok, seqLen: 2.5 }, 16)).toThrow(/seqLen must be a positive integer/);
    expect(() => checkRunShape('T', { ...ok, microBatches: 3 }, 16)).toThrow(/batch 8 must be divisible by microBatches 3/);
    expect(() => checkRunShape('T', ok, 8)).toThrow(/seqLen 16 exceeds the model's maxSeqLen 8/);
  });

  it('counts steps (skipped ones included), tokens and non-finite steps, fused or accumulated', async () => {
    const train = scripted([2, Number.NaN, 1.5]);
    const p = RunProgress.start(3);
    expect((await p.take(train, micro(1), schedule, 64, performance.now())).step).toBe(1);
    const skipped = await p.take(train, micro(2), schedule, 64, performance.now());
    expect(skipped).toMatchObject({ step: 2, skipped: true, lr: 0.5 });
    await p.take(train, micro(1), schedule, 64, performance.now());
    expect(train.calls).toEqual(['fused@0.5', 'accumulated×2@0.5', 'fused@0.5']);
    expect(p.report(train.stepCount)).toEqual({ step: 3, optimizerStep: 2, skippedSteps: 1, nonFiniteInARow: 0, tokensSeen: 192 });
  });

  it('resumes from saved counters and stops after too many non-finite steps in a row', async () => {
    const p = RunProgress.start(2, { step: 10, counters: { skippedSteps: 4, nonFiniteInARow: 1, tokensSeen: 640 } });
    expect(p.step).toBe(10);
    await expect(p.take(scripted([Number.NaN]), micro(1), schedule, 64, performance.now())).rejects.toThrow(NonFiniteLossError);
    expect(p.counters()).toEqual({ skippedSteps: 5, nonFiniteInARow: 2, tokensSeen: 704 });
  });
});
