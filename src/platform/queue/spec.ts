import { ValidationError } from '../errors.js';
import { EnqueueInputSchema, JOB_STATES, type EnqueueInput, type JobFilter, type JobSpec, type JobState } from './job.js';
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

const DEFAULT_LIST_LIMIT = 50;
const MAX_LIST_LIMIT = 500;

/** A list filter checked once for every adapter: known states only, limit clamped to 1..500. */
export function parseJobFilter(filter: JobFilter): { states: JobState[] | undefined; type: string | undefined; limit: number; cursor: string | undefined } {
  const states = filter.state === undefined ? undefined : typeof filter.state === 'string' ? [filter.state] : [...filter.state];
  const unknown = states?.find((state) => !(JOB_STATES as readonly string[]).includes(state));
  if (unknown !== undefined) {
    throw new ValidationError('job_filter_invalid', `Unknown job state "${unknown}": use one of ${JOB_STATES.join(', ')}.`, { state: unknown });
  }
  const limit = Math.min(Math.max(1, Math.floor(filter.limit ?? DEFAULT_LIST_LIMIT)), MAX_LIST_LIMIT);
  return { states, type: filter.type || undefined, limit, cursor: filter.cursor || undefined };
}
