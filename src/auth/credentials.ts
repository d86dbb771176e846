import { FastifyRequest } from 'fastify';
import { AuthErrors } from './auth-errors';
import { headerValue } from './request-context';

/**
 * The slice of a request that a Passport strategy gets to see. Strategies never see the whole
 * request, so none can pick up a credential from a place we did not choose (such as
 * passport-http-bearer's `?access_token=`).
 */
export interface CredentialRequest {
  headers: Record<string, string>;
  query: Record<string, string>;
  body: undefined;
  /** The client address: password attempts are counted against it before they are verified. */
  ip: string;
  userAgent?: string;
  /** Whether this route takes account passwords over HTTP Basic (decided by the Authenticator). */
  basicPassword: BasicPasswordPolicy;
}

/**
 * `allowed`; `admins` — only an instance admin's (the settings route while passwords are switched
 * off); `off` — refused before anything is verified.
 */
export type BasicPasswordPolicy = 'allowed' | 'admins' | 'off';

/** What a credential carries by itself; the Authenticator adds the request's context. */
export type PresentedRequest = Pick<CredentialRequest, 'headers' | 'query' | 'body'>;

export type CredentialKind = 'bearer' | 'basic' | 'api_key' | 'query_key' | 'legacy';

export interface PresentedCredential {
  kind: CredentialKind;
  /** Passport strategy name. */
  strategy: string;
  request: PresentedRequest;
}

const STRATEGIES: Record<CredentialKind, string> = {
  bearer: 'tessera-bearer',
  basic: 'tessera-basic',
  api_key: 'tessera-api-key',
  query_key: 'tessera-query-key',
  legacy: 'tessera-legacy',
};

function credential(
  kind: CredentialKind,
  headers: Record<string, string>,
  query: Record<string, string> = {},
): PresentedCredential {
  return { kind, strategy: STRATEGIES[kind], request: { headers, query, body: undefined } };
}

/**
 * The user-id and password of `Basic base64(user-id:password)`, split at the first colon
 * (RFC 7617: only the user-id cannot hold one). null when there is no colon.
 */
export function decodeBasic(value: string): [string, string] | null {
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1 ? null : [decoded.slice(0, colon), decoded.slice(colon + 1)];
}

/** Finds every credential a request presents (SPEC §4), without validating any of them. */
export function presentedCredentials(request: FastifyRequest): PresentedCredential[] {
  const found: PresentedCredential[] = [];

  const authorization = headerValue(request, 'authorization');
  if (authorization !== undefined) {
    const match = /^(\S+)\s+(\S+)\s*$/.exec(authorization);
    const scheme = match?.[1].toLowerCase();
    if (!match || (scheme !== 'bearer' && scheme !== 'basic')) {
      throw AuthErrors.malformedAuthorization();
    }
    const headers = { authorization: `${match[1]} ${match[2]}` };
    found.push(credential(scheme === 'bearer' ? 'bearer' : 'basic', headers));
  }

  for (const name of ['x-api-key', 'x-redmine-api-key']) {
    const value = headerValue(request, name);
    if (value !== undefined) {
      found.push(credential('api_key', { 'x-api-key': value.trim() }));
    }
  }

  const raw = (request.query as Record<string, unknown> | undefined)?.key;
  if (raw !== undefined) {
    // `?key=a&key=b` is two credentials: the same token twice is one, two tokens of different
    // principals are ambiguous — never silently the first.
    const values: unknown[] = Array.isArray(raw) ? raw : [raw];
    for (const value of new Set(values)) {
      found.push(credential('query_key', {}, { key: typeof value === 'string' ? value : '' }));
    }
  }

  const legacyUser = headerValue(request, 'x-auth-user');
  const legacyToken = headerValue(request, 'x-auth-token');
  if (legacyUser !== undefined || legacyToken !== undefined) {
    if (!legacyUser || !legacyToken) {
      throw AuthErrors.legacyIncomplete();
    }
    found.push(credential('legacy', { 'x-auth-user': legacyUser, 'x-auth-token': legacyToken }));
  }
  return found;
}
