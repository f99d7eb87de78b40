import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { ZodError } from 'zod';
import { CrucibleError, InternalError, PayloadTooLargeError, ValidationError } from '../platform/errors.js';
import { STATUS_BY_KIND } from './error-status.js';

/** Fastify's own errors that are the client's fault, as Crucible errors with stable codes. */
function fromFastifyError(err: FastifyError, limit: number): CrucibleError | null {
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ValidationError('invalid_json', `The request body is not valid JSON: ${err.message}. Send a JSON object.`);
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new PayloadTooLargeError('body_too_large', `The request body is larger than the ${limit}-byte limit. Send less, or upload files with a streaming upload.`, { limit });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new CrucibleError('invalid', 'unsupported_media_type', `Content-Type ${err.message.split(': ').pop()} is not accepted here; send application/json.`);
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ValidationError('invalid_content_length', 'The Content-Length header does not match the body.');
    default:
      return null;
  }
}

function fromZodError(err: ZodError, where: string): ValidationError {
  const issues = err.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
  const first = issues[0];
  const at = first?.path ? ` at "${first.path}"` : '';
  return new ValidationError('invalid_request', `Invalid ${where}${at}: ${first?.message ?? 'does not match the schema'}.`, { issues });
}

/** Maps anything thrown in a request to `{error: {code, message, details}}` with the right status. */
export function toCrucible(err: unknown, bodyLimit: number): CrucibleError {
  if (err instanceof CrucibleError) return err;
  if (err instanceof ZodError) return fromZodError(err, 'input');
  if (hasZodFastifySchemaValidationErrors(err)) {
    const issues = err.validation.map((v) => ({ path: v.instancePath.replace(/^\//, '').replaceAll('/', '.'), message: v.message ?? 'invalid' }));
    const first = issues[0];
    const context = (err as { validationContext?: string }).validationContext ?? 'request';
    return new ValidationError(
      'invalid_request',
      `Invalid ${context}${first?.path ? ` at "${first.path}"` : ''}: ${first?.message ?? 'does not match the schema'}.`,
      { issues },
    );
  }
  const fastifyError = err as FastifyError;
  if (typeof fastifyError?.code === 'string') {
    const mapped = fromFastifyError(fastifyError, bodyLimit);
    if (mapped) return mapped;
  }
  if (typeof fastifyError?.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return new ValidationError('bad_request', fastifyError.message);
  }
  return new InternalError(undefined, { cause: err });
}

export function registerErrorHandling(app: FastifyInstance, bodyLimit: number): void {
  app.setErrorHandler((err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const error = toCrucible(err, bodyLimit);
    const status = STATUS_BY_KIND[error.kind];
    if (status >= 500) request.log.error({ err }, 'request failed');
    else request.log.info({ code: error.code, status }, 'request refused');
    // Refused before the whole body arrived (too large, bad key on an upload): close the connection
    // rather than leave a half-sent body holding it open.
    if (!request.raw.complete) reply.header('connection', 'close');
    // Stack traces stay in the log; clients get the code and the message.
    return reply.status(status).send({ error: error.toJSON() });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({
      error: { code: 'route_not_found', message: `No route ${request.method} ${request.url.split('?')[0]}. See /api/docs for the API.` },
    }),
  );
}
