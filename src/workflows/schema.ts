import { z } from 'zod';

/** A step id (and the workflow name): letters, digits, `_` and `-`, starting with a letter. */
export const STEP_ID = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

/** One step as a workflow file states it (INTERFACES.md): `{uses, with, needs, if, retries}`. */
export const StepDefinitionSchema = z.strictObject({
  /** A job type known to the JobTypeRegistry, e.g. `command`, `train`. */
  uses: z.string().min(1, 'give the job type this step runs, e.g. uses: command'),
  /** The job's payload; strings may hold `${{ steps.<id>.outputs.<name> }}`. */
  with: z.record(z.string(), z.json()).default({}),
  /** Steps that must finish first; one id or a list. */
  needs: z
    .union([z.string(), z.array(z.string())])
    .default([])
    .transform((needs) => (typeof needs === 'string' ? [needs] : needs)),
  /** Runs the step only when this holds, e.g. `steps.validate.outputs.errors == 0`. */
  if: z.union([z.string().min(1, 'give a condition, e.g. steps.a.outputs.ok == true'), z.boolean()]).optional(),
  /** Extra attempts when the job fails (0–99): the job's maxAttempts is retries + 1. */
  retries: z.number().int().min(0).max(99).default(0),
  description: z.string().optional(),
});
export type StepDefinition = z.output<typeof StepDefinitionSchema>;

export const MAX_STEPS = 500;

/** The file's top level; each step is checked on its own (validate.ts) so that every error is reported. */
export const WorkflowTopSchema = z.strictObject({
  name: z.string().regex(STEP_ID, 'a workflow name is letters, digits, _ and -, starting with a letter'),
  description: z.string().optional(),
  steps: z
    .record(z.string(), z.unknown())
    .refine((steps) => Object.keys(steps).length > 0, 'a workflow needs at least one step')
    .refine((steps) => Object.keys(steps).length <= MAX_STEPS, `a workflow has at most ${MAX_STEPS} steps; split it into several`),
});

export interface WorkflowDefinition {
  name: string;
  description?: string;
  steps: Record<string, StepDefinition>;
}

/** One problem in a workflow file: where (path, and line:column when there is a file), and what to do. */
export const WorkflowFindingSchema = z.object({
  /** e.g. `steps.train.needs[0]` */
  path: z.string(),
  line: z.number().int().nullable(),
  column: z.number().int().nullable(),
  severity: z.enum(['error', 'warning']),
  /** workflow_yaml_invalid, workflow_field_invalid, workflow_step_type_unknown, workflow_payload_invalid, workflow_needs_unknown, workflow_cycle, workflow_if_invalid, workflow_reference_invalid */
  code: z.string(),
  message: z.string(),
});
export type WorkflowFinding = z.infer<typeof WorkflowFindingSchema>;

export const WORKFLOW_STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type WorkflowState = (typeof WORKFLOW_STATES)[number];
/** `pending` (waiting for its needs) is stored, and shown as `queued` with no job yet. */
export const STEP_STATES = ['pending', 'queued', 'running', 'succeeded', 'failed', 'cancelled', 'skipped'] as const;
export type StepState = (typeof STEP_STATES)[number];
export const FINISHED_STEP_STATES: readonly StepState[] = ['succeeded', 'failed', 'cancelled', 'skipped'];

export const StepViewSchema = z.object({
  state: z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled', 'skipped']),
  job_id: z.string().nullable(),
  uses: z.string(),
  needs: z.array(z.string()),
  if: z.union([z.string(), z.boolean()]).nullable(),
  /** Times this run submitted the step (retry adds one). */
  attempt: z.number().int(),
  /** The job's result once it succeeded. */
  outputs: z.json().nullable(),
  /** Why it was skipped, cancelled or failed. */
  reason: z.string().nullable(),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
});
export type StepView = z.infer<typeof StepViewSchema>;

/** `GET /api/v1/workflows/{id}` and `crucible workflow status ID --json`. */
export const WorkflowViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  state: z.enum(WORKFLOW_STATES),
  created_by: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
  finished_at: z.string().nullable(),
  /** Step ids in an order where each comes after its needs. */
  order: z.array(z.string()),
  steps: z.record(z.string(), StepViewSchema),
});
export type WorkflowView = z.infer<typeof WorkflowViewSchema>;

export const WorkflowSummarySchema = WorkflowViewSchema.omit({ steps: true, order: true }).extend({
  /** How many steps are in each state. */
  step_counts: z.record(z.string(), z.number().int()),
});
export type WorkflowSummary = z.infer<typeof WorkflowSummarySchema>;

/** The body of POST /api/v1/workflows and /validate: YAML text (application/yaml), `{yaml}`, or the workflow as JSON. */
export const WorkflowBodySchema = z.union([
  z.string().describe('the workflow file as YAML (Content-Type: application/yaml)'),
  z.record(z.string(), z.json()).describe('{"yaml": "<file text>"}, or the workflow itself as JSON'),
]);
export type WorkflowBody = z.infer<typeof WorkflowBodySchema>;
