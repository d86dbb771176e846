// Roles, permissions, plans and billing states of a workspace (SPEC §5, §6).

export const ROLES = ['owner', 'admin', 'member', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export const PLANS = ['free', 'solo_pro', 'pro', 'team', 'business', 'enterprise'] as const;
export type Plan = (typeof PLANS)[number];

export const BILLING_STATUSES = ['active', 'read_only'] as const;
export type BillingStatus = (typeof BILLING_STATUSES)[number];

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

// Owners and admins hold every permission; they differ only in who may grant the owner role.
const EVERY_PERMISSION: ReadonlySet<Permission> = new Set<Permission>([
  'projects.read',
  'projects.write',
  'issues.read',
  'issues.write',
  'issues.delete',
  'api.use',
  'api.manage',
  'members.manage',
  'workspace.manage',
]);

const ROLE_PERMISSIONS: Record<Role, ReadonlySet<Permission>> = {
  owner: EVERY_PERMISSION,
  admin: EVERY_PERMISSION,
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
const TOKENS_PER_PACK = 5;

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
