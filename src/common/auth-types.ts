// Shared vocabulary of authentication and authorization (SPEC §4-§6).

export const SCOPES = ['read', 'write', 'delete', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export const ROLES = ['owner', 'admin', 'member', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export const PLANS = ['free', 'solo_pro', 'pro', 'team', 'business', 'enterprise'] as const;
export type Plan = (typeof PLANS)[number];

export const BILLING_STATUSES = ['active', 'read_only'] as const;
export type BillingStatus = (typeof BILLING_STATUSES)[number];

export type AuthMethod =
  | 'bearer'
  | 'api_key'
  | 'query_key'
  | 'basic_token'
  | 'basic_password'
  | 'legacy_api_password'
  | 'oauth'
  // The web pages' session cookie (SPEC §4.6); the JSON API never resolves a principal from it.
  | 'session';

export type Permission =
  | 'projects.read'
  | 'projects.write'
  | 'issues.read'
  | 'issues.write'
  | 'issues.delete'
  | 'api.use'
  | 'api.manage'
  | 'members.manage'
  | 'workspace.manage';

const ROLE_PERMISSIONS: Record<Role, ReadonlySet<Permission>> = {
  owner: new Set<Permission>([
    'projects.read',
    'projects.write',
    'issues.read',
    'issues.write',
    'issues.delete',
    'api.use',
    'api.manage',
    'members.manage',
    'workspace.manage',
  ]),
  admin: new Set<Permission>([
    'projects.read',
    'projects.write',
    'issues.read',
    'issues.write',
    'issues.delete',
    'api.use',
    'api.manage',
    'members.manage',
    'workspace.manage',
  ]),
  member: new Set<Permission>(['projects.read', 'issues.read', 'issues.write', 'api.use']),
  viewer: new Set<Permission>(['projects.read', 'issues.read']),
};

export function roleAllows(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].has(permission);
}

// Plan limits on active tokens per workspace (SPEC §5); null = unlimited.
const PLAN_TOKEN_LIMITS: Record<Plan, number | null> = {
  free: 0,
  solo_pro: 0,
  pro: 5,
  team: 20,
  business: 100,
  enterprise: null,
};
export const TOKENS_PER_PACK = 5;

export function planHasApiAccess(plan: Plan): boolean {
  return plan !== 'free' && plan !== 'solo_pro';
}

export function tokenLimitFor(plan: Plan, tokenPacks: number): number | null {
  const base = PLAN_TOKEN_LIMITS[plan];
  if (base === null) {
    return null;
  }
  return planHasApiAccess(plan) ? base + tokenPacks * TOKENS_PER_PACK : 0;
}

/** Scope a request method needs when a route does not name one. */
export function scopeForMethod(method: string): Scope {
  switch (method.toUpperCase()) {
    case 'GET':
    case 'HEAD':
    case 'OPTIONS':
      return 'read';
    case 'DELETE':
      return 'delete';
    default:
      return 'write';
  }
}

export function scopesAllow(granted: readonly Scope[], needed: Scope): boolean {
  return granted.includes('admin') || granted.includes(needed);
}

/** The user behind a request, as authentication resolved it. */
export interface PrincipalUser {
  id: string;
  username: string;
  email: string;
  isAdmin: boolean;
}

export interface AuthPrincipal {
  user: PrincipalUser;
  method: AuthMethod;
  /** The API token used, when the credential was a token. */
  tokenId: string | null;
  /** What the credential may do; password credentials carry every scope. */
  scopes: Scope[];
  /** Workspace a token is bound to; null for instance tokens and non-token credentials. */
  tokenWorkspaceId: string | null;
  expiresAt: Date | null;
  impersonatedBy: PrincipalUser | null;
  /** The user has 2FA on: password credentials are refused except on 2FA management routes. */
  twoFactorEnabled: boolean;
  /** The OAuth access token used, when the credential was one (SPEC §9). */
  oauthTokenId?: string;
  /** The token's own request limit per window, overriding the instance default. */
  rateLimit?: number | null;
}

/** API tokens and OAuth access tokens: subject to the role's "use the API" permission. */
export function isTokenPrincipal(principal: AuthPrincipal): boolean {
  return principal.tokenId !== null || principal.oauthTokenId !== undefined;
}
