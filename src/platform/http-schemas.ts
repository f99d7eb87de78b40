import { z } from 'zod';

/** The error body of every API error response (INTERFACES.md): `{"error": {code, message, details}}`. */
export const ErrorBodySchema = z.object({ error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }) });

/** `?limit=&cursor=` of every list (INTERFACES.md); pair with `pageOf` from paging.ts. */
export const PageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().optional(),
});
