import { z } from 'zod';
import type { Role } from '../auth/index.js';
import { ValidationError } from '../platform/errors.js';

/** A kind of job: its payload schema (what the handler accepts) and the role needed to submit it. */
export interface JobTypeDefinition<Payload extends z.ZodType = z.ZodType> {
  /** e.g. `dataset.profile`; lowercase words joined by dots. */
  type: string;
  /** Parses the payload at submission (defaults filled in) and again in the worker before the handler runs. */
  payload: Payload;
  /** Submitting (and retrying) needs at least this role. */
  role: Role;
  /** One line, shown in errors and help. */
  description: string;
}

/** `command` (admin only): runs a program with arguments, environment and working directory (INTERFACES.md). */
export const CommandPayloadSchema = z.object({
  command: z.array(z.string().min(1)).min(1, 'give the program and its arguments, e.g. ["python", "train.py"]'),
  env: z.record(z.string(), z.string()).default({}),
  cwd: z.string().min(1).optional(),
});
export type CommandPayload = z.infer<typeof CommandPayloadSchema>;

/** `noop`: does nothing (for a while): smoke tests, benchmarks, checking that workers run. */
export const NoopPayloadSchema = z.object({
  sleepMs: z.number().int().min(0).max(3_600_000).default(0),
});
export type NoopPayload = z.infer<typeof NoopPayloadSchema>;

const BUILT_IN: JobTypeDefinition[] = [
  { type: 'command', payload: CommandPayloadSchema, role: 'admin', description: "runs a command; stdout/stderr become the job's logs" },
  { type: 'noop', payload: NoopPayloadSchema, role: 'editor', description: 'does nothing, optionally for sleepMs' },
];

/**
 * The job types Crucible knows. The jobs service refuses others at submission, and the worker runs
 * only these, parsing each payload with the same schema. Domains add theirs at composition.
 * @example const types = new JobTypeRegistry().register({ type: 'dataset.profile', payload: ProfileInput, role: 'editor', description: '…' });
 */
export class JobTypeRegistry {
  private readonly byType = new Map<string, JobTypeDefinition>();

  /** A registry with the built-in types (`command`, `noop`) unless `builtIns` is false. */
  constructor(options: { builtIns?: boolean } = {}) {
    if (options.builtIns !== false) for (const definition of BUILT_IN) this.register(definition);
  }

  /** Adds a type; registering one name twice is a programming error. */
  register(definition: JobTypeDefinition): this {
    if (this.byType.has(definition.type)) throw new Error(`job type "${definition.type}" is registered twice`);
    this.byType.set(definition.type, definition);
    return this;
  }

  get(type: string): JobTypeDefinition | undefined {
    return this.byType.get(type);
  }

  /** The definition, or ValidationError `job_type_unknown` listing the known types. */
  require(type: string): JobTypeDefinition {
    const definition = this.byType.get(type);
    if (!definition) {
      throw new ValidationError('job_type_unknown', `Unknown job type "${type}". Known types: ${this.types().join(', ')}.`, {
        type,
        known: this.types(),
      });
    }
    return definition;
  }

  /** The payload parsed by the type's schema (defaults filled in), or ValidationError `job_payload_invalid` with each field's path. */
  parsePayload(type: string, payload: unknown): unknown {
    const parsed = this.require(type).payload.safeParse(payload ?? {});
    if (parsed.success) return parsed.data;
    const issues = parsed.error.issues.map((issue) => ({ path: ['payload', ...issue.path].join('.'), message: issue.message }));
    const first = issues[0]!;
    throw new ValidationError('job_payload_invalid', `Invalid payload for a ${type} job at "${first.path}": ${first.message}.`, { type, issues });
  }

  types(): string[] {
    return [...this.byType.keys()].sort();
  }

  list(): JobTypeDefinition[] {
    return this.types().map((type) => this.byType.get(type)!);
  }
}
