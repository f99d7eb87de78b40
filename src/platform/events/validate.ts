import { ValidationError } from '../errors.js';
import { DEFAULT_EVENT_LIST_LIMIT, JobEventInputSchema, type JobEventInput, type ListEventsOptions } from './event.js';

/** Parses events before they are stored (ValidationError `job_event_invalid` naming the first bad field). */
export function parseEventInputs(jobId: string, events: JobEventInput[]): JobEventInput[] {
  if (!jobId) throw new ValidationError('job_event_invalid', 'Events need the id of the job they belong to.');
  return events.map((event, index) => {
    const parsed = JobEventInputSchema.safeParse(event);
    if (parsed.success) return parsed.data as JobEventInput;
    const issue = parsed.error.issues[0]!;
    const path = [index, ...issue.path].join('.');
    throw new ValidationError('job_event_invalid', `Invalid job event at "${path}": ${issue.message}.`, {
      issues: parsed.error.issues.map((i) => ({ path: [index, ...i.path].join('.'), message: i.message })),
    });
  });
}

/** afterSeq ≥ 0 and 1 ≤ limit ≤ 1,000. */
export function listBounds(options: ListEventsOptions = {}): { afterSeq: number; limit: number } {
  const afterSeq = Math.max(0, Math.floor(options.afterSeq ?? 0));
  const limit = Math.min(Math.max(1, Math.floor(options.limit ?? DEFAULT_EVENT_LIST_LIMIT)), DEFAULT_EVENT_LIST_LIMIT);
  return { afterSeq, limit };
}

/** The stored fields of an event other than its kind (what goes in the data column or stream entry). */
export function dataOf(event: JobEventInput): Record<string, unknown> {
  const { kind: _kind, ...rest } = event;
  return rest;
}
