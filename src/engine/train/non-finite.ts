/**
 * Non-finite steps: a step whose loss or gradient norm is NaN/Inf is dropped by the train step (its
 * buffers are not swapped); the trainer counts such steps and gives up after too many in a row, because
 * from then on every step would be wasted compute on a diverged model or broken data.
 */

/** Thrown when `limit` steps in a row had a non-finite loss or gradient. `code` is stable. */
export class NonFiniteLossError extends Error {
  readonly code = 'non_finite_loss' as const;

  constructor(
    readonly inARow: number,
    readonly atStep: number, // 1-based number of the step that hit the limit
    readonly lastLoss: number,
    readonly lastGradNorm: number,
  ) {
    super(`loss was NaN/Inf for ${inARow} steps in a row at step ${atStep}; lower the learning rate or check the data (last loss ${lastLoss}, gradient norm ${lastGradNorm})`);
    this.name = 'NonFiniteLossError';
  }
}

/** Counts skipped steps, in total and in a row; `record` throws once the run reaches `limit` in a row. */
export class NonFiniteGuard {
  constructor(
    readonly limit: number,
    public skippedTotal = 0,
    public inARow = 0,
  ) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`maxNonFiniteInARow must be a positive integer, got ${limit}`);
  }

  /** Records one step's outcome; `step` is the 1-based step number, for the message. */
  record(skipped: boolean, step: number, loss: number, gradNorm: number): void {
    if (!skipped) {
      this.inARow = 0;
      return;
    }
    this.skippedTotal++;
    this.inARow++;
    if (this.inARow >= this.limit) throw new NonFiniteLossError(this.inARow, step, loss, gradNorm);
  }
}
