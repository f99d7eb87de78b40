import { ConflictError, NotFoundError, ValidationError } from '../errors.js';

/** The lease token is stale: the lease lapsed or another worker holds the job now. Stop, write nothing. */
export function leaseLostError(jobId: string): ConflictError {
  return new ConflictError(
    'job_lease_lost',
    `The lease on job ${jobId} is no longer held (it lapsed, or the job was re-leased or finished): stop working on it and discard its outputs.`,
    { jobId },
  );
}

export function jobNotFoundError(jobId: string): NotFoundError {
  return new NotFoundError('job_not_found', `Job ${jobId} does not exist. List jobs with \`crucible job list\`.`, { jobId });
}

export function invalidJobError(message: string, issues: unknown): ValidationError {
  return new ValidationError('job_invalid', `Invalid job: ${message}. Fix the job's fields and enqueue it again.`, { issues });
}

export function notRetryableError(jobId: string, state: string): ConflictError {
  return new ConflictError('job_not_retryable', `Job ${jobId} is ${state}: only failed or cancelled jobs can be retried.`, { jobId, state });
}
