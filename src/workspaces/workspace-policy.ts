import { HttpStatus } from '@nestjs/common';
import { insufficientScope } from '../auth/auth-errors';
import { AuthPrincipal, isTokenPrincipal, Scope, scopesAllow } from '../auth/auth-types';
import { ApiError, forbidden } from '../common/errors/api-error';
import { Membership } from './entities/membership.entity';
import { Workspace } from './entities/workspace.entity';
import { Permission, planHasApiAccess, roleAllows } from './roles-and-plans';

/**
 * What a caller intends to do in a workspace, as the workspace rules see it (SPEC §5, §6).
 * A route's @Auth() declaration is one (with `write` taken from the request method); the
 * token actions below are others, used by TokensService whoever calls it.
 */
export interface WorkspaceAction {
  /** Scope the credential must carry. */
  scope: Scope;
  /** Permission the caller's role must grant. */
  permission?: Permission;
  /** Changes something: refused while billing is read-only, unless `anyBilling`. */
  write: boolean;
  /** Allowed on plans without API access (managing the workspace itself, revoking a token). */
  anyPlan?: boolean;
  /** Allowed while billing is read-only. */
  anyBilling?: boolean;
}

/** The token actions; revoking is never refused by plan or billing (SPEC §6). */
export const TOKEN_ACTIONS = {
  create: { scope: 'write', permission: 'api.use', write: true },
  rotate: { scope: 'write', permission: 'api.use', write: true },
  update: { scope: 'write', permission: 'api.use', write: true },
  revoke: { scope: 'delete', write: true, anyPlan: true, anyBilling: true },
} as const satisfies Record<string, WorkspaceAction>;

/** Why a refusal was made: lets a page say it in a sentence of its own. */
export type PolicyRule = 'scope' | 'plan' | 'api_use' | 'role' | 'billing';

/** A refusal of the workspace policy: a coded ApiError that names the rule it comes from. */
export class PolicyRefusal extends ApiError {
  constructor(
    readonly rule: PolicyRule,
    error: ApiError,
  ) {
    super(error.status, error.code, error.message, error.details, error.headers);
  }
}

/**
 * The one decision on workspace rules: may this principal, a member of this workspace with this
 * membership, do this action here? Returns the refusal, or null when allowed. Pure: the API
 * guard throws its answer, TokensService calls it for every caller (API, pages, jobs), and a
 * page maps the refusal's rule to a sentence.
 *
 * Order, first refusal wins: scope, plan, the role's API use (for token credentials and for
 * making tokens), the action's permission, billing. Whether the caller is a member at all, and
 * whether a token is bound to this workspace, is settled before (AccessGuard, TokensService):
 * those decide which workspace a request is in, not what it may do there.
 */
export function workspaceRefusal(
  workspace: Workspace,
  membership: Membership,
  principal: AuthPrincipal,
  action: WorkspaceAction,
): PolicyRefusal | null {
  if (!scopesAllow(principal.scopes, action.scope)) {
    return new PolicyRefusal('scope', insufficientScope(action.scope));
  }
  if (!action.anyPlan && !planHasApiAccess(workspace.plan)) {
    return new PolicyRefusal(
      'plan',
      new ApiError(
        HttpStatus.FORBIDDEN,
        'plan_required',
        `The ${workspace.plan} plan has no API access; upgrade the workspace to Pro or higher.`,
      ),
    );
  }
  // Tokens act through the API, and so does anything that makes one: both need the role's
  // "use the API" permission.
  const usesApi = isTokenPrincipal(principal) || action.permission === 'api.use';
  if (usesApi && !roleAllows(membership.role, 'api.use')) {
    return new PolicyRefusal(
      'api_use',
      forbidden(`Your role (${membership.role}) in this workspace does not include API access.`),
    );
  }
  if (action.permission && !roleAllows(membership.role, action.permission)) {
    return new PolicyRefusal(
      'role',
      forbidden(
        `Your role (${membership.role}) in this workspace does not allow this (needs ${action.permission}).`,
      ),
    );
  }
  if (action.write && !action.anyBilling && workspace.billingStatus === 'read_only') {
    return new PolicyRefusal(
      'billing',
      new ApiError(
        HttpStatus.PAYMENT_REQUIRED,
        'workspace_read_only',
        'This workspace is read-only until its billing is settled; reads still work.',
      ),
    );
  }
  return null;
}

/** Whether the role manages API access: sees and revokes every member's tokens (SPEC §6). */
export function managesApiAccess(membership: Membership): boolean {
  return roleAllows(membership.role, 'api.manage');
}

/** Throws the policy's refusal, if any. */
export function assertWorkspaceAllows(
  workspace: Workspace,
  membership: Membership,
  principal: AuthPrincipal,
  action: WorkspaceAction,
): void {
  const refusal = workspaceRefusal(workspace, membership, principal, action);
  if (refusal) {
    throw refusal;
  }
}
