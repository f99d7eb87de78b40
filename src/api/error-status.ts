import type { ErrorKind } from '../platform/errors.js';

/** The one table from error kinds to HTTP statuses. Codes stay stable; a code's kind picks its status. */
export const STATUS_BY_KIND: Record<ErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
};
