/**
 * Learning-rate schedules, evaluated in JS once per step: the value is fed to the step graph at run time,
 * so changing the schedule never recompiles the graph.
 *
 * Steps count from 0. Warmup is linear and reaches the peak at the last warmup step
 * (lr·(step+1)/warmupSteps), so step 0 already moves the weights.
 */
import { z } from 'zod';

/** Linear warmup to `lr`, then cosine decay to `minLr` at `totalSteps`; `minLr` afterwards. */
export interface CosineSchedule {
  kind?: 'cosine';
  lr: number;
  warmupSteps: number;
  totalSteps: number;
  minLr: number;
}

/** Linear warmup (optional) to `lr`, then constant. */
export interface ConstantSchedule {
  kind: 'constant';
  lr: number;
  warmupSteps?: number;
}

export type LrSchedule = CosineSchedule | ConstantSchedule;

const nonNegativeInt = (what: string) => z.number().int(`${what} must be an integer`).min(0, `${what} must be ≥ 0`);

/** Validates a schedule (a training config carries one). */
export const lrScheduleSchema = z.union([
  z
    .object({
      kind: z.literal('cosine').optional(),
      lr: z.number().positive('lr must be > 0'),
      warmupSteps: nonNegativeInt('warmupSteps'),
      totalSteps: z.number().int('totalSteps must be an integer').positive('totalSteps must be > 0'),
      minLr: z.number().min(0, 'minLr must be ≥ 0'),
    })
    .strict()
    .refine((s) => s.warmupSteps <= s.totalSteps, { message: 'warmupSteps must not exceed totalSteps', path: ['warmupSteps'] })
    .refine((s) => s.minLr <= s.lr, { message: 'minLr must not exceed lr', path: ['minLr'] }),
  z
    .object({
      kind: z.literal('constant'),
      lr: z.number().positive('lr must be > 0'),
      warmupSteps: nonNegativeInt('warmupSteps').optional(),
    })
    .strict(),
]);

/** The learning rate at a 0-based step. @example lrAt(0, { lr: 3e-4, warmupSteps: 100, totalSteps: 5000, minLr: 3e-5 }) // 3e-6 */
export function lrAt(step: number, schedule: LrSchedule): number {
  if (!Number.isInteger(step) || step < 0) {
    throw new Error(`lrAt: step must be a non-negative integer, got ${step}`);
  }
  const warmupSteps = schedule.warmupSteps ?? 0;
  if (step < warmupSteps) {
    return (schedule.lr * (step + 1)) / warmupSteps;
  }
  if (schedule.kind === 'constant') {
    return schedule.lr;
  }
  const { lr, totalSteps, minLr } = schedule;
  if (step >= totalSteps) {
    return minLr;
  }
  // Decay over steps warmupSteps..totalSteps: progress 0 gives lr, progress 1 (step == totalSteps) gives minLr.
  const progress = (step - warmupSteps) / (totalSteps - warmupSteps);
  return minLr + 0.5 * (1 + Math.cos(Math.PI * progress)) * (lr - minLr);
}
