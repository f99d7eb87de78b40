import type { Backoff } from './job.js';

/**
 * Delay before the next attempt, after `failedAttempts` failures (≥ 1): exponential, capped, with
 * "equal-ish" jitter that only shortens the delay, so many jobs failing together (a dependency went
 * down) do not come back in lockstep, and the cap stays a true upper bound.
 * @example backoffDelay({ baseMs: 1000, maxMs: 60000, jitter: 0 }, 3) // 4000
 */
export function backoffDelay(policy: Backoff, failedAttempts: number, random: () => number = Math.random): number {
  const exponential = policy.baseMs * 2 ** Math.max(0, failedAttempts - 1);
  const capped = Math.min(policy.maxMs, exponential);
  return Math.round(capped * (1 - policy.jitter * random()));
}
