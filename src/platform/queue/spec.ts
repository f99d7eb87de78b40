import { EnqueueInputSchema, type EnqueueInput, type JobSpec } from './job.js';
import { invalidJobError } from './errors.js';

/** Parses an enqueue input with its defaults; throws ValidationError `job_invalid` naming the first bad field. */
export function parseJobSpec(input: EnqueueInput): JobSpec {
  const parsed = EnqueueInputSchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
    throw invalidJobError(`${issues[0]!.path || 'job'}: ${issues[0]!.message}`, issues);
  }
  return parsed.data;
}
