import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AuthPrincipal, Scope, SCOPES } from '../auth/auth-types';
import { Membership } from './entities/membership.entity';
import { Workspace } from './entities/workspace.entity';
import {
  BILLING_STATUSES,
  BillingStatus,
  Permission,
  Plan,
  PLANS,
  Role,
  ROLES,
} from './roles-and-plans';
import { PolicyRule, TOKEN_ACTIONS, WorkspaceAction, workspaceRefusal } from './workspace-policy';

// SPEC §6's role table, written out as the SPEC has it (an oracle independent of ROLE_PERMISSIONS).
const SPEC_ROLE_TABLE: Record<Permission, Role[]> = {
  'projects.read': ['owner', 'admin', 'member', 'viewer'],
  'issues.read': ['owner', 'admin', 'member', 'viewer'],
  'projects.write': ['owner', 'admin'],
  'issues.write': ['owner', 'admin', 'member'],
  'issues.delete': ['owner', 'admin'],
  'api.use': ['owner', 'admin', 'member'],
  'api.manage': ['owner', 'admin'],
  'members.manage': ['owner', 'admin'],
  'workspace.manage': ['owner', 'admin'],
};
const NO_API_PLANS: Plan[] = ['free', 'solo_pro'];

function workspace(plan: Plan, billingStatus: BillingStatus): Workspace {
  return { id: 'w1', name: 'Acme', plan, billingStatus, tokenPacks: 0 } as Workspace;
}

function membership(role: Role): Membership {
  return { id: 'm1', workspaceId: 'w1', userId: 'u1', role } as Membership;
}

type Credential = 'token' | 'oauth' | 'password' | 'session';

function principal(credential: Credential, scopes: readonly Scope[]): AuthPrincipal {
  return {
    user: { id: 'u1', username: 'ada', email: 'ada@example.com', isAdmin: false },
    method: { token: 'bearer', oauth: 'oauth', password: 'basic_password', session: 'session' }[
      credential
    ] as AuthPrincipal['method'],
    tokenId: credential === 'token' ? 't1' : null,
    oauthTokenId: credential === 'oauth' ? 'o1' : undefined,
    scopes: [...scopes],
    tokenWorkspaceId: credential === 'token' ? 'w1' : null,
    expiresAt: null,
    impersonatedBy: null,
    twoFactorEnabled: false,
  };
}

const ACTIONS: Record<string, WorkspaceAction> = {
  'read projects': { scope: 'read', permission: 'projects.read', write: false },
  'create a project': { scope: 'write', permission: 'projects.write', write: true },
  'update an issue': { scope: 'write', permission: 'issues.write', write: true },
  'delete an issue': { scope: 'delete', permission: 'issues.delete', write: true },
  'change a member': { scope: 'write', permission: 'members.manage', write: true, anyPlan: true },
  'remove a member': {
    scope: 'delete',
    permission: 'members.manage',
    write: true,
    anyPlan: true,
    anyBilling: true,
  },
  'create a token': TOKEN_ACTIONS.create,
  'rotate a token': TOKEN_ACTIONS.rotate,
  'revoke a token': TOKEN_ACTIONS.revoke,
};

const SCOPE_SETS: Array<readonly Scope[]> = [['read'], ['read', 'write'], ['delete'], ['admin']];

/** What SPEC §5/§6 say, rule by rule in the policy's order; null = allowed. */
function expected(
  plan: Plan,
  billing: BillingStatus,
  role: Role,
  credential: Credential,
  scopes: readonly Scope[],
  action: WorkspaceAction,
): PolicyRule | null {
  if (!scopes.includes('admin') && !scopes.includes(action.scope)) {
    return 'scope';
  }
  if (!action.anyPlan && NO_API_PLANS.includes(plan)) {
    return 'plan';
  }
  const viaApi =
    credential === 'token' || credential === 'oauth' || action.permission === 'api.use';
  if (viaApi && !SPEC_ROLE_TABLE['api.use'].includes(role)) {
    return 'api_use';
  }
  if (action.permission && !SPEC_ROLE_TABLE[action.permission].includes(role)) {
    return 'role';
  }
  if (action.write && !action.anyBilling && billing === 'read_only') {
    return 'billing';
  }
  return null;
}

describe('workspaceRefusal (SPEC §5, §6)', () => {
  it('matches the decision table for every plan × role × billing × credential × scope × action', () => {
    let cases = 0;
    for (const plan of PLANS) {
      for (const billing of BILLING_STATUSES) {
        for (const role of ROLES) {
          for (const credential of ['token', 'oauth', 'password', 'session'] as const) {
            const scopeSets =
              credential === 'token' || credential === 'oauth' ? SCOPE_SETS : [SCOPES];
            for (const scopes of scopeSets) {
              for (const [name, action] of Object.entries(ACTIONS)) {
                const refusal = workspaceRefusal(
                  workspace(plan, billing),
                  membership(role),
                  principal(credential, scopes),
                  action,
                );
                const want = expected(plan, billing, role, credential, scopes, action);
                assert.equal(
                  refusal?.rule ?? null,
                  want,
                  `${plan}/${billing}/${role}/${credential}[${scopes.join(',')}]: ${name}`,
                );
                cases += 1;
              }
            }
          }
        }
      }
    }
    assert.equal(cases, 6 * 2 * 4 * (4 + 4 + 1 + 1) * Object.keys(ACTIONS).length);
  });

  it('never refuses revoking a token for plan or billing', () => {
    for (const plan of PLANS) {
      for (const billing of BILLING_STATUSES) {
        for (const role of ROLES) {
          assert.equal(
            workspaceRefusal(
              workspace(plan, billing),
              membership(role),
              principal('session', SCOPES),
              TOKEN_ACTIONS.revoke,
            ),
            null,
            `${plan}/${billing}/${role}`,
          );
        }
      }
    }
  });

  it('refuses with the SPEC status and code for each rule', () => {
    const cases: Array<[string, ReturnType<typeof workspaceRefusal>, number, string]> = [
      [
        'scope',
        workspaceRefusal(
          workspace('pro', 'active'),
          membership('owner'),
          principal('token', ['read']),
          TOKEN_ACTIONS.create,
        ),
        403,
        'insufficient_scope',
      ],
      [
        'plan',
        workspaceRefusal(
          workspace('free', 'active'),
          membership('owner'),
          principal('session', SCOPES),
          TOKEN_ACTIONS.create,
        ),
        403,
        'plan_required',
      ],
      [
        'api_use',
        workspaceRefusal(
          workspace('pro', 'active'),
          membership('viewer'),
          principal('token', ['read']),
          ACTIONS['read projects'],
        ),
        403,
        'forbidden',
      ],
      [
        'role',
        workspaceRefusal(
          workspace('pro', 'active'),
          membership('member'),
          principal('password', SCOPES),
          ACTIONS['create a project'],
        ),
        403,
        'forbidden',
      ],
      [
        'billing',
        workspaceRefusal(
          workspace('pro', 'read_only'),
          membership('owner'),
          principal('token', ['admin']),
          TOKEN_ACTIONS.rotate,
        ),
        402,
        'workspace_read_only',
      ],
    ];
    for (const [rule, refusal, status, code] of cases) {
      assert.ok(refusal, rule);
      assert.equal(refusal.rule, rule);
      assert.equal(refusal.status, status, rule);
      assert.equal(refusal.code, code, rule);
      assert.equal(refusal.toBody().code, code, rule);
    }
  });

  it('names the plan, the role and the missing permission in its messages', () => {
    const plan = workspaceRefusal(
      workspace('solo_pro', 'active'),
      membership('owner'),
      principal('token', ['read']),
      ACTIONS['read projects'],
    );
    assert.match(plan?.message ?? '', /solo_pro plan has no API access/);
    const role = workspaceRefusal(
      workspace('team', 'active'),
      membership('viewer'),
      principal('password', SCOPES),
      ACTIONS['update an issue'],
    );
    assert.equal(
      role?.message,
      'Your role (viewer) in this workspace does not allow this (needs issues.write).',
    );
  });
});
