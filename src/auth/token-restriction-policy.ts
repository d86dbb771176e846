import { HttpStatus } from '@nestjs/common';
import { ApiError, forbidden } from '../common/errors/api-error';
import { AddressList } from './address-list';
import { AuthPrincipal } from './auth-types';

/**
 * The access policy's rules on a token's own restrictions (SPEC §11.1): where it may be used
 * from, which projects it reaches, and that a token never mints a wider one. Pure decisions;
 * the Authenticator applies the address rule to every token request, the project services
 * build their queries from `projectReach`, and TokensService applies the minting rule to every
 * caller (API, pages, jobs).
 */

/** 403 `ip_not_allowed` when the token's allow-list excludes the client address, else null. */
export function addressRefusal(principal: AuthPrincipal, clientAddress: string): ApiError | null {
  const addresses = principal.restrictions?.addresses;
  if (!addresses || addresses.allows(clientAddress)) {
    return null;
  }
  return new ApiError(
    HttpStatus.FORBIDDEN,
    'ip_not_allowed',
    `This token cannot be used from ${clientAddress}: the address is not in its allowed_cidrs. ` +
      'Call from an allowed address, or ask the token’s owner to add this one.',
  );
}

/** The projects a request reaches: null for all of its workspace's, else exactly these. */
export function projectReach(principal: AuthPrincipal): readonly string[] | null {
  return principal.restrictions?.projectIds ?? null;
}

/**
 * 403 `project_not_allowed`: a request that reaches only some projects (a project-restricted
 * token; `reach` from `projectReach`) cannot create new ones.
 */
export function projectCreationRefusal(reach: readonly string[] | null): ApiError | null {
  if (reach === null) {
    return null;
  }
  return new ApiError(
    HttpStatus.FORBIDDEN,
    'project_not_allowed',
    'This token is restricted to some projects, so it cannot create new ones; use an unrestricted token.',
  );
}

/** What a minted (or changed) token will be restricted to. */
export interface RestrictionsRequest {
  allowedCidrs: string[] | null;
  projectIds: string[] | null;
}

/**
 * The restrictions a token minted by `caller` gets when the request leaves them out: the
 * caller's own, so that a restricted token's children are restricted alike.
 */
export function inheritedRestrictions(caller: AuthPrincipal): RestrictionsRequest {
  const own = caller.restrictions;
  return {
    allowedCidrs: own?.allowedCidrs ? [...own.allowedCidrs] : null,
    projectIds: own?.projectIds ? [...own.projectIds] : null,
  };
}

/**
 * 403 `forbidden` when a token would mint (or widen, through PATCH) a token less restricted
 * than itself: an address outside its own allow-list, or a project outside its own projects.
 * Other credentials (passwords, page sessions) act with the user's full rights.
 */
export function wideningRefusal(
  caller: AuthPrincipal,
  wanted: RestrictionsRequest,
): ApiError | null {
  const own = caller.restrictions;
  if (!own) {
    return null;
  }
  if (own.addresses) {
    if (
      wanted.allowedCidrs === null ||
      !AddressList.of(wanted.allowedCidrs).within(own.addresses)
    ) {
      return forbidden(
        'A token can only create or change tokens restricted to its own allowed addresses (allowed_cidrs) or fewer.',
      );
    }
  }
  if (own.projectIds) {
    const allowed = new Set(own.projectIds);
    if (wanted.projectIds === null || !wanted.projectIds.every((id) => allowed.has(id))) {
      return forbidden(
        'A token can only create or change tokens restricted to its own projects (project_ids) or fewer.',
      );
    }
  }
  return null;
}
