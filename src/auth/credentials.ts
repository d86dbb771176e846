import { FastifyRequest } from 'fastify';
import { AuthErrors } from '../common/errors/auth-errors';

/**
 * The slice of a request that a Passport strategy gets to see. Strategies never see the whole
 * request, so none can pick up a credential from a place we did not choose (such as
 * passport-http-bearer's `?access_token=`).
 */
export interface CredentialRequest {
  headers: Record<string, string>;
  query: Record<string, string>;
  body: undefined;
  ip: string;
}

export type CredentialKind = 'bearer' | 'basic';

export interface PresentedCredential {
  kind: CredentialKind;
  strategy: string;
  request: CredentialRequest;
}

const STRATEGY: Record<CredentialKind, string> = {
  bearer: 'tessera-bearer',
  basic: 'tessera-basic',
};

function credentialRequest(ip: string, headers: Record<string, string>): CredentialRequest {
  return { headers, query: {}, body: undefined, ip };
}

/** Finds every credential a request presents, without validating any of them. */
export function presentedCredentials(request: FastifyRequest): PresentedCredential[] {
  const found: PresentedCredential[] = [];
  const authorization = request.headers.authorization;
  if (authorization !== undefined) {
    const match = /^(\S+)\s+(\S+)\s*$/.exec(authorization);
    const scheme = match?.[1].toLowerCase();
    if (!match || (scheme !== 'bearer' && scheme !== 'basic')) {
      throw AuthErrors.malformedAuthorization();
    }
    const kind: CredentialKind = scheme === 'bearer' ? 'bearer' : 'basic';
    found.push({
      kind,
      strategy: STRATEGY[kind],
      request: credentialRequest(request.ip, { authorization: `${match[1]} ${match[2]}` }),
    });
  }
  return found;
}
