import { z } from 'zod';

export const RoleSchema = z.enum(['viewer', 'editor', 'admin']);
export type Role = z.infer<typeof RoleSchema>;

export const CreateKeyInputSchema = z.object({
  name: z
    .string()
    .trim()
    .min(1, 'a key needs a name, e.g. "ci" or "alice-laptop"')
    .max(100, 'key names are at most 100 characters'),
  role: RoleSchema,
});
export type CreateKeyInput = z.infer<typeof CreateKeyInputSchema>;

/** A key as listed: never the secret, only its prefix. */
export const ApiKeySchema = z.object({
  id: z.string(),
  name: z.string(),
  role: RoleSchema,
  prefix: z.string(),
  created_at: z.string(),
  created_by: z.string().nullable(),
  last_used_at: z.string().nullable(),
  revoked_at: z.string().nullable(),
});
export type ApiKey = z.infer<typeof ApiKeySchema>;

/** The one response that carries the secret, returned once at creation. */
export const CreatedKeySchema = ApiKeySchema.extend({ key: z.string() });
export type CreatedKey = z.infer<typeof CreatedKeySchema>;

export const AuditOutcomeSchema = z.enum(['success', 'denied', 'failed']);
export type AuditOutcome = z.infer<typeof AuditOutcomeSchema>;

export const AuditEntrySchema = z.object({
  id: z.string(),
  at: z.string(),
  actor_id: z.string().nullable(),
  actor_name: z.string().nullable(),
  action: z.string(),
  target: z.string().nullable(),
  outcome: AuditOutcomeSchema,
  status: z.number().nullable(),
  request_id: z.string().nullable(),
  details: z.record(z.string(), z.unknown()).nullable(),
});
export type AuditEntry = z.infer<typeof AuditEntrySchema>;
