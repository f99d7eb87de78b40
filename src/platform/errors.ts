/**
 * One error hierarchy for all of Crucible. Every error has a stable `code` (snake_case, part of the
 * public contract: clients branch on it), a `kind` (the category the API maps to an HTTP status and
 * the CLI to an exit code), a message that tells the user what to do, and optional details.
 * Nothing outside this file decides what a kind means; the API's status table lives in
 * src/api/error-status.ts and the CLI's exit codes in src/cli/exit-codes.ts.
 */
export type ErrorKind =
  | 'invalid' // the input is wrong: fix it and retry
  | 'unauthenticated' // no valid credentials
  | 'forbidden' // valid credentials, not enough rights
  | 'not_found'
  | 'conflict' // the state of the system refuses the change (exists, in use, wrong state)
  | 'too_large'
  | 'rate_limited'
  | 'unavailable' // a dependency (db, blobs, queue) cannot be reached
  | 'internal';

export type ErrorDetails = Record<string, unknown>;

export class CrucibleError extends Error {
  readonly code: string;
  readonly kind: ErrorKind;
  readonly details: ErrorDetails | undefined;

  constructor(kind: ErrorKind, code: string, message: string, details?: ErrorDetails, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.kind = kind;
    this.code = code;
    this.details = details;
  }

  toJSON(): { code: string; message: string; details?: ErrorDetails } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export class ValidationError extends CrucibleError {
  constructor(code: string, message: string, details?: ErrorDetails, options?: { cause?: unknown }) {
    super('invalid', code, message, details, options);
  }
}
export class UnauthenticatedError extends CrucibleError {
  constructor(code = 'unauthenticated', message = 'Authentication required: pass a valid API key as "Authorization: Bearer <key>".') {
    super('unauthenticated', code, message);
  }
}
export class ForbiddenError extends CrucibleError {
  constructor(code: string, message: string, details?: ErrorDetails) {
    super('forbidden', code, message, details);
  }
}
export class NotFoundError extends CrucibleError {
  constructor(code: string, message: string, details?: ErrorDetails) {
    super('not_found', code, message, details);
  }
}
export class ConflictError extends CrucibleError {
  constructor(code: string, message: string, details?: ErrorDetails) {
    super('conflict', code, message, details);
  }
}
export class PayloadTooLargeError extends CrucibleError {
  constructor(code: string, message: string, details?: ErrorDetails) {
    super('too_large', code, message, details);
  }
}
export class UnavailableError extends CrucibleError {
  constructor(code: string, message: string, details?: ErrorDetails, options?: { cause?: unknown }) {
    super('unavailable', code, message, details, options);
  }
}
export class InternalError extends CrucibleError {
  constructor(message = 'Internal error: see the server log for details.', options?: { cause?: unknown }) {
    super('internal', 'internal_error', message, undefined, options);
  }
}

/** Narrow an unknown thrown value to a CrucibleError, wrapping anything else as internal. */
export function toCrucibleError(err: unknown): CrucibleError {
  if (err instanceof CrucibleError) return err;
  return new InternalError(undefined, { cause: err });
}
