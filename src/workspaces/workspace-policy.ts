import { HttpStatus } from '@nestjs/common';
import { insufficientScope } from '../auth/auth-errors';
import { AuthPrincipal, isTokenPrincipal, Scope, SCOPES, scopesAllow } from '../auth/auth-types';
import { ApiError, conflict, forbidden, validationFailed } from '../common/errors/api-error';
import { Membership } from './entities/membership.entity';
import { Workspace } from './entities/workspace.entity';
import { Permission, planHasApiAccess, Role, roleAllows } from './roles-and-plans';

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
  /** Allowed to a token its workspace's token policy no longer allows (revoking a token). */
  anyTokenPolicy?: boolean;
  /**
   * Neither refused by nor counted against the caller's rate limit and quota (revoking a token:
   * a token that used up its quota can still revoke itself).
   */
  anyLimit?: boolean;
}

/**
 * The token actions; revoking is never refused by plan, billing, token policy, rate limit or
 * quota (SPEC §6: nobody is ever kept from revoking a secret): a token the policy no longer
 * allows, or whose quota is used up, can still revoke itself.
 */
export const TOKEN_ACTIONS = {
  create: { scope: 'write', permission: 'api.use', write: true },
  rotate: { scope: 'write', permission: 'api.use', write: true },
  update: { scope: 'write', permission: 'api.use', write: true },
  revoke: {
    scope: 'delete',
    write: true,
    anyPlan: true,
    anyBilling: true,
    anyTokenPolicy: true,
    anyLimit: true,
  },
} as const satisfies Record<string, WorkspaceAction>;

/**
 * Service accounts (SPEC §11.5) are managed by those who manage API access. Listing, creating and
 * deleting one is workspace management, allowed on every plan (like members); deleting revokes
 * its tokens, so it is allowed in read-only billing too (nobody is kept from revoking a secret).
 * Minting a token for one is creating a token: plan with API access, billing not read-only.
 */
export const SERVICE_ACCOUNT_ACTIONS = {
  list: { scope: 'read', permission: 'api.manage', write: false, anyPlan: true },
  create: { scope: 'write', permission: 'api.manage', write: true, anyPlan: true },
  delete: {
    scope: 'delete',
    permission: 'api.manage',
    write: true,
    anyPlan: true,
    anyBilling: true,
  },
  mintToken: { scope: 'write', permission: 'api.manage', write: true },
} as const satisfies Record<string, WorkspaceAction>;

/** The roles a service account may hold: it uses the API, and is never an owner. */
export const SERVICE_ACCOUNT_ROLES = ['member', 'admin'] as const satisfies readonly Role[];
export type ServiceAccountRole = (typeof SERVICE_ACCOUNT_ROLES)[number];

/**
 * What someone tries to do to a service account through the routes made for people: the
 * workspace's member routes, and the instance admin's user routes (SPEC §8, §12).
 */
export type ServiceAccountChange =
  | { kind: 'add_member' }
  | { kind: 'member_role'; role: Role }
  | { kind: 'remove_member' }
  | { kind: 'password' }
  | { kind: 'legacy_api_password' }
  | { kind: 'admin_rights'; isAdmin: boolean }
  | { kind: 'status'; active: boolean; deleted: boolean }
  | { kind: 'password_reset' }
  | { kind: 'two_factor_reset' };

/**
 * The one decision on changes to a service account made through routes for people; null when
 * allowed. A service account belongs to exactly one workspace, holds the member or admin role
 * there, has no password, no 2FA and no instance rights, and once deleted stays deleted.
 */
export function serviceAccountChangeRefusal(change: ServiceAccountChange): ApiError | null {
  switch (change.kind) {
    case 'add_member':
      return validationFailed([
        {
          field: 'user_id',
          message:
            'This user is a service account: it belongs to the one workspace it was created in. ' +
            'Create a service account in this workspace instead.',
        },
      ]);
    case 'member_role':
      return (SERVICE_ACCOUNT_ROLES as readonly Role[]).includes(change.role)
        ? null
        : validationFailed([
            { field: 'role', message: 'A service account’s role must be member or admin.' },
          ]);
    case 'remove_member':
      return conflict(
        'This member is a service account: delete it with DELETE ' +
          '/api/v1/workspaces/{id}/service-accounts/{saId}, which also revokes its tokens.',
      );
    case 'password':
    case 'legacy_api_password':
      return validationFailed([
        {
          field: change.kind,
          message: 'A service account has no password; it signs in only with its API tokens.',
        },
      ]);
    case 'admin_rights':
      return change.isAdmin
        ? validationFailed([
            {
              field: 'is_admin',
              message: 'A service account cannot be an instance administrator.',
            },
          ])
        : null;
    case 'status':
      return change.active && change.deleted
        ? conflict('This service account was deleted; it cannot be unlocked.')
        : null;
    case 'password_reset':
      return conflict('This user is a service account: it has no password to reset.');
    case 'two_factor_reset':
      return conflict('This user is a service account: it has no two-factor authentication.');
  }
}

/** Throws the refusal of serviceAccountChangeRefusal, if any. */
export function assertServiceAccountChange(change: ServiceAccountChange): void {
  const refusal = serviceAccountChangeRefusal(change);
  if (refusal) {
    throw refusal;
  }
}

/**
 * Webhooks (SPEC §11.4) belong to managing API access: owners and admins read and change them;
 * a token needs the scope of what it does. Writes are refused while billing is read-only.
 */
export const WEBHOOK_ACTIONS = {
  read: { scope: 'read', permission: 'api.manage', write: false },
  write: { scope: 'write', permission: 'api.manage', write: true },
  delete: { scope: 'delete', permission: 'api.manage', write: true },
} as const satisfies Record<string, WorkspaceAction>;

/** Why a refusal was made: lets a page say it in a sentence of its own. */
export type PolicyRule = 'scope' | 'token_policy' | 'plan' | 'api_use' | 'role' | 'billing';

/** A refusal of the workspace policy: a coded ApiError that names the rule it comes from. */
export class PolicyRefusal extends ApiError {
  constructor(
    readonly rule: PolicyRule,
    error: ApiError,
    /** For rule `token_policy`: which rule of the token policy, with its figures. */
    readonly violation?: TokenPolicyViolation,
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
 * Order, first refusal wins: scope, the workspace's token policy (for an API token in use,
 * SPEC §11.3), plan, the role's API use (for token credentials and for making tokens), the
 * action's permission, billing. Whether the caller is a member at all, and
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
  if (!action.anyTokenPolicy) {
    const refusal = tokenInUseRefusal(workspace, principal);
    if (refusal) {
      return refusal;
    }
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

// --- The workspace's token policy (SPEC §11.3) ---

const DAY_MS = 86_400_000;
/** A lifetime may pass the policy's maximum by this much: clock skew, the request's own time. */
export const LIFETIME_SLACK_MS = 60_000;

/** What a workspace asks of its API tokens. */
export interface TokenPolicy {
  /** Longest lifetime in days; null: only the instance maximum (checked at minting). */
  maxLifetimeDays: number | null;
  /** Scopes a token may carry (never empty). */
  allowedScopes: readonly Scope[];
  /** Every token must carry an address allow-list (allowed_cidrs non-null). */
  requireAllowedCidrs: boolean;
  /** Unused tokens are revoked after this many days (the scheduler's idle revocation). */
  idleRevokeDays: number | null;
}

/** A new workspace's policy: it asks nothing beyond the instance's own rules. */
export const DEFAULT_TOKEN_POLICY: TokenPolicy = {
  maxLifetimeDays: null,
  allowedScopes: SCOPES,
  requireAllowedCidrs: false,
  idleRevokeDays: null,
};

/**
 * The longest lifetime a new token may have, in days: the instance maximum, narrowed by the
 * workspace's policy when it has one (a policy above a since-lowered instance maximum binds at
 * the instance maximum).
 */
export function longestLifetimeDays(policy: TokenPolicy | null, instanceMaxDays: number): number {
  return Math.min(instanceMaxDays, policy?.maxLifetimeDays ?? instanceMaxDays);
}

export function tokenPolicyOf(workspace: Workspace): TokenPolicy {
  return {
    maxLifetimeDays: workspace.tokenMaxLifetimeDays,
    allowedScopes: workspace.tokenAllowedScopes,
    requireAllowedCidrs: workspace.tokenRequireAllowedCidrs,
    idleRevokeDays: workspace.tokenIdleRevokeDays,
  };
}

/** What the token policy judges of a token, new or existing. */
export interface TokenTerms {
  scopes: readonly Scope[];
  /** expires_at minus the moment of creation (now, for a token being made). */
  lifetimeMs: number;
  allowedCidrs: readonly string[] | null;
}

/** The rules of a token policy, named as its fields are. */
export type TokenPolicyRule = 'allowed_scopes' | 'max_lifetime_days' | 'require_allowed_cidrs';

/** Which rule a token breaks, with the figures a message needs. */
export type TokenPolicyViolation =
  | { rule: 'allowed_scopes'; allowed: readonly Scope[]; outside: Scope[] }
  | { rule: 'max_lifetime_days'; maxDays: number }
  | { rule: 'require_allowed_cidrs' };

/**
 * The one decision of the token policy: does a token with these terms comply? Returns the
 * first rule it breaks (scopes, lifetime, address allow-list), or null. Pure: minting and
 * changing a token (400), a token in use (403), `policy_compliant` on token objects and the
 * token page all ask it.
 */
export function tokenPolicyViolation(
  policy: TokenPolicy,
  terms: TokenTerms,
): TokenPolicyViolation | null {
  const outside = terms.scopes.filter((scope) => !policy.allowedScopes.includes(scope));
  if (outside.length > 0) {
    return { rule: 'allowed_scopes', allowed: policy.allowedScopes, outside };
  }
  if (
    policy.maxLifetimeDays !== null &&
    terms.lifetimeMs > policy.maxLifetimeDays * DAY_MS + LIFETIME_SLACK_MS
  ) {
    return { rule: 'max_lifetime_days', maxDays: policy.maxLifetimeDays };
  }
  if (policy.requireAllowedCidrs && terms.allowedCidrs === null) {
    return { rule: 'require_allowed_cidrs' };
  }
  return null;
}

/** The terms of a stored token: its lifetime runs from its creation to its expiry. */
export function existingTokenTerms(token: {
  scopes: readonly Scope[];
  expiresAt: Date;
  createdAt: Date;
  allowedCidrs: readonly string[] | null;
}): TokenTerms {
  return {
    scopes: token.scopes,
    lifetimeMs: token.expiresAt.getTime() - token.createdAt.getTime(),
    allowedCidrs: token.allowedCidrs,
  };
}

/** `policy_compliant` of a token object; tokens without a workspace (policy null) always are. */
export function tokenComplies(
  policy: TokenPolicy | null,
  token: Parameters<typeof existingTokenTerms>[0],
): boolean {
  return policy === null || tokenPolicyViolation(policy, existingTokenTerms(token)) === null;
}

/** What the policy says, as the end of a sentence. */
export function tokenPolicyClause(violation: TokenPolicyViolation): string {
  switch (violation.rule) {
    case 'allowed_scopes':
      return `allows only the scopes ${violation.allowed.join(', ')}`;
    case 'max_lifetime_days':
      return `allows tokens to live at most ${days(violation.maxDays)}`;
    case 'require_allowed_cidrs':
      return 'requires every token to have an address allow-list (allowed_cidrs)';
  }
}

/** Which field of a create or rotate request sets the lifetime: the one the caller sent. */
export type LifetimeField = 'expires_in_days' | 'expires_at';

/** The field of a token object each rule judges. */
const FIELDS: Record<TokenPolicyRule, string> = {
  allowed_scopes: 'scopes',
  max_lifetime_days: 'expires_at',
  require_allowed_cidrs: 'allowed_cidrs',
};

function mintingFix(violation: TokenPolicyViolation, lifetimeField: LifetimeField): string {
  switch (violation.rule) {
    case 'allowed_scopes':
      return `leave out ${violation.outside.join(', ')}`;
    case 'max_lifetime_days':
      return `choose an earlier expiry (${lifetimeField})`;
    case 'require_allowed_cidrs':
      return 'give the token allowed_cidrs';
  }
}

/**
 * Making or changing a token (create, rotate, and PATCH /api/v1/tokens/:id): 400
 * policy_violation naming the rule, with details naming the offending field; null when the
 * token complies or has no workspace. For a change to an existing token, pass
 * existingTokenTerms() of the token as it would be after the change.
 */
export function tokenPolicyRefusal(
  workspace: Workspace | undefined,
  terms: TokenTerms,
  lifetimeField: LifetimeField = 'expires_in_days',
): PolicyRefusal | null {
  const violation = workspace ? tokenPolicyViolation(tokenPolicyOf(workspace), terms) : null;
  if (!violation) {
    return null;
  }
  const field = violation.rule === 'max_lifetime_days' ? lifetimeField : FIELDS[violation.rule];
  const message =
    `This workspace’s token policy (${violation.rule}) ${tokenPolicyClause(violation)}: ` +
    `${mintingFix(violation, lifetimeField)}.`;
  return new PolicyRefusal(
    'token_policy',
    new ApiError(HttpStatus.BAD_REQUEST, 'policy_violation', message, [{ field, message }]),
    violation,
  );
}

/** Throws tokenPolicyRefusal()'s answer, if any. */
export function assertTokenPolicyAllows(
  workspace: Workspace | undefined,
  terms: TokenTerms,
  lifetimeField?: LifetimeField,
): void {
  const refusal = tokenPolicyRefusal(workspace, terms, lifetimeField);
  if (refusal) {
    throw refusal;
  }
}

/**
 * An API token in use, in its own workspace: 403 policy_violation when a tightened policy no
 * longer allows it (it is refused, not deleted); null for compliant tokens, tokens of another
 * workspace (settled elsewhere: workspace_mismatch), instance tokens, OAuth access tokens and
 * passwords, to which the token policy does not apply.
 */
export function tokenInUseRefusal(
  workspace: Workspace,
  principal: AuthPrincipal,
): PolicyRefusal | null {
  const restrictions = principal.restrictions;
  if (
    principal.tokenId === null ||
    !restrictions ||
    !principal.expiresAt ||
    principal.tokenWorkspaceId !== workspace.id
  ) {
    return null;
  }
  const violation = tokenPolicyViolation(
    tokenPolicyOf(workspace),
    existingTokenTerms({
      scopes: principal.scopes,
      expiresAt: principal.expiresAt,
      createdAt: restrictions.createdAt,
      allowedCidrs: restrictions.allowedCidrs,
    }),
  );
  if (!violation) {
    return null;
  }
  const field = FIELDS[violation.rule];
  const message =
    `This token no longer complies with its workspace’s token policy (${violation.rule}), ` +
    `which ${tokenPolicyClause(violation)}. Revoke it and create a token that complies.`;
  return new PolicyRefusal(
    'token_policy',
    new ApiError(HttpStatus.FORBIDDEN, 'policy_violation', message, [{ field, message }]),
    violation,
  );
}

function days(n: number): string {
  return n === 1 ? '1 day' : `${n} days`;
}
