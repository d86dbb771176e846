import { FastifyRequest } from 'fastify';
import { AuthPrincipal } from './auth-types';
import { Membership } from '../workspaces/entities/membership.entity';
import { Workspace } from '../workspaces/entities/workspace.entity';

/** What the guards learn about a request, for the handlers to read. */
export interface RequestContext {
  principal?: AuthPrincipal;
  workspace?: Workspace;
  membership?: Membership;
  /**
   * The API token the request was made with, set as soon as the token is recognised (before
   * any refusal of it, e.g. ip_not_allowed), for the per-token request log.
   */
  tokenId?: string;
  /**
   * The expiry of the token (API or OAuth access token) the request authenticated with, set as
   * soon as the token is accepted: every answer to it carries X-Token-Expires-At (SPEC §4),
   * refusals that follow (scope, address, X-Switch-User, role) included.
   */
  tokenExpiresAt?: Date;
  /** The token was refused for the client's address (403 ip_not_allowed, SPEC §11.1). */
  addressRefused?: boolean;
}

export type TesseraRequest = FastifyRequest & { tessera?: RequestContext };

export function contextOf(request: TesseraRequest): RequestContext {
  request.tessera ??= {};
  return request.tessera;
}

export function headerValue(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
