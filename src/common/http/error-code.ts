import { FastifyRequest } from 'fastify';

type WithErrorCode = FastifyRequest & { errorCode?: string };

/**
 * The exception filter notes the error code of the response it renders, so that onResponse
 * hooks (metrics) can count refusals by code without parsing the body.
 */
export function noteErrorCode(request: FastifyRequest, code: string): void {
  (request as WithErrorCode).errorCode = code;
}

/** The code the exception filter rendered for this request, if it rendered one. */
export function notedErrorCode(request: FastifyRequest): string | undefined {
  return (request as WithErrorCode).errorCode;
}
