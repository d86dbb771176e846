import { FastifyRequest } from 'fastify';
import { ApiError } from '../common/errors/api-error';

/** The auth-method label of a failed authentication: the kind of credential presented. */
export type PresentedKind =
  'none' | 'bearer' | 'basic' | 'api_key' | 'query_key' | 'legacy' | 'multiple' | 'other';

/**
 * Which kind of credential a refused request presented, from its headers alone (never from the
 * credential's value). `?key=` has been taken out of the query by then, so a refusal other than
 * missing_credentials with no credential header was a query key.
 */
export function presentedKind(request: FastifyRequest, code: string): PresentedKind {
  if (code === 'missing_credentials') {
    return 'none';
  }
  const headers = request.headers;
  const kinds: PresentedKind[] = [];
  const authorization = headers.authorization;
  if (authorization !== undefined) {
    const scheme = /^\s*(\S+)/.exec(String(authorization))?.[1].toLowerCase();
    kinds.push(scheme === 'bearer' ? 'bearer' : scheme === 'basic' ? 'basic' : 'other');
  }
  if (headers['x-api-key'] !== undefined || headers['x-redmine-api-key'] !== undefined) {
    kinds.push('api_key');
  }
  if (headers['x-auth-user'] !== undefined || headers['x-auth-token'] !== undefined) {
    kinds.push('legacy');
  }
  if (kinds.length === 0) {
    return 'query_key';
  }
  return kinds.length === 1 ? kinds[0] : 'multiple';
}

/** An error's code for a label: an ApiError's own (a fixed set), `error` for anything else. */
export function errorCodeOf(error: unknown): string {
  return error instanceof ApiError ? error.code : 'error';
}
