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
import {
  assertTokenPolicyAllows,
  DEFAULT_TOKEN_POLICY,
  existingTokenTerms,
  LifetimeField,
  PolicyRefusal,
  PolicyRule,
  SERVICE_ACCOUNT_ACTIONS,
  SERVICE_ACCOUNT_ROLES,
  serviceAccountChangeRefusal,
  TOKEN_ACTIONS,
  tokenComplies,
  tokenInUseRefusal,
  TokenPolicy,
  tokenPolicyRefusal,
  TokenPolicyRule,
  tokenPolicyViolation,
  TokenTerms,
  WEBHOOK_ACTIONS,
  WorkspaceAction,
  workspaceRefusal,
} from './workspace-policy';

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
    user: { id: 'u1', username: 'ada', email: 'ada@example.com', isAdmin: false, type: 'human' },
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
  'read webhooks': WEBHOOK_ACTIONS.read,
  'change a webhook': WEBHOOK_ACTIONS.write,
  'delete a webhook': WEBHOOK_ACTIONS.delete,
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

// --- The workspace's token policy (SPEC §11.3) ---

const DAY = 86_400_000;
const SLACK = 60_000;

function policy(changes: Partial<TokenPolicy> = {}): TokenPolicy {
  return { ...DEFAULT_TOKEN_POLICY, ...changes };
}

function terms(changes: Partial<TokenTerms> = {}): TokenTerms {
  return { scopes: ['read'], lifetimeMs: 30 * DAY, allowedCidrs: null, ...changes };
}

function policyWorkspace(changes: Partial<TokenPolicy> = {}, id = 'w1'): Workspace {
  const p = policy(changes);
  return {
    ...workspace('pro', 'active'),
    id,
    tokenMaxLifetimeDays: p.maxLifetimeDays,
    tokenAllowedScopes: [...p.allowedScopes],
    tokenRequireAllowedCidrs: p.requireAllowedCidrs,
    tokenIdleRevokeDays: p.idleRevokeDays,
  };
}

/** An API token of workspace w1 in use, created `lifetimeMs` before it expires. */
function tokenInUse(
  scopes: Scope[],
  lifetimeMs: number,
  allowedCidrs: string[] | null = null,
): AuthPrincipal {
  const createdAt = new Date('2026-01-01T00:00:00Z');
  return {
    ...principal('token', scopes),
    expiresAt: new Date(createdAt.getTime() + lifetimeMs),
    restrictions: {
      allowedCidrs,
      addresses: null,
      projectIds: null,
      createdAt,
      quota: null,
    },
  };
}

describe('tokenPolicyViolation (SPEC §11.3)', () => {
  const cases: Array<[string, TokenPolicy, TokenTerms, TokenPolicyRule | null]> = [
    // The default policy asks nothing.
    ['default: every scope', policy(), terms({ scopes: [...SCOPES] }), null],
    ['default: a year', policy(), terms({ lifetimeMs: 365 * DAY }), null],
    ['default: no allow-list', policy(), terms({ allowedCidrs: null }), null],
    // allowed_scopes
    [
      'scopes inside',
      policy({ allowedScopes: ['read', 'write'] }),
      terms({ scopes: ['read', 'write'] }),
      null,
    ],
    [
      'one scope inside',
      policy({ allowedScopes: ['read', 'write'] }),
      terms({ scopes: ['write'] }),
      null,
    ],
    [
      'a scope outside',
      policy({ allowedScopes: ['read', 'write'] }),
      terms({ scopes: ['read', 'delete'] }),
      'allowed_scopes',
    ],
    [
      'admin outside',
      policy({ allowedScopes: ['read', 'write', 'delete'] }),
      terms({ scopes: ['admin'] }),
      'allowed_scopes',
    ],
    [
      'only read allowed',
      policy({ allowedScopes: ['read'] }),
      terms({ scopes: ['write'] }),
      'allowed_scopes',
    ],
    // max_lifetime_days, with 60 s of slack
    [
      'lifetime below the maximum',
      policy({ maxLifetimeDays: 30 }),
      terms({ lifetimeMs: 29 * DAY }),
      null,
    ],
    [
      'lifetime at the maximum',
      policy({ maxLifetimeDays: 30 }),
      terms({ lifetimeMs: 30 * DAY }),
      null,
    ],
    [
      'lifetime at the maximum plus the slack',
      policy({ maxLifetimeDays: 30 }),
      terms({ lifetimeMs: 30 * DAY + SLACK }),
      null,
    ],
    [
      'lifetime 1 ms past the slack',
      policy({ maxLifetimeDays: 30 }),
      terms({ lifetimeMs: 30 * DAY + SLACK + 1 }),
      'max_lifetime_days',
    ],
    [
      'lifetime of a day more',
      policy({ maxLifetimeDays: 30 }),
      terms({ lifetimeMs: 31 * DAY }),
      'max_lifetime_days',
    ],
    [
      '1-day maximum',
      policy({ maxLifetimeDays: 1 }),
      terms({ lifetimeMs: 2 * DAY }),
      'max_lifetime_days',
    ],
    [
      'null maximum: the instance decides',
      policy({ maxLifetimeDays: null }),
      terms({ lifetimeMs: 365 * DAY }),
      null,
    ],
    // require_allowed_cidrs
    [
      'allow-list required, none',
      policy({ requireAllowedCidrs: true }),
      terms({ allowedCidrs: null }),
      'require_allowed_cidrs',
    ],
    [
      'allow-list required, one given',
      policy({ requireAllowedCidrs: true }),
      terms({ allowedCidrs: ['10.0.0.0/8'] }),
      null,
    ],
    [
      'allow-list required, an empty one (no address at all)',
      policy({ requireAllowedCidrs: true }),
      terms({ allowedCidrs: [] }),
      null,
    ],
    [
      'allow-list not required, none',
      policy({ requireAllowedCidrs: false }),
      terms({ allowedCidrs: null }),
      null,
    ],
    // First rule broken wins: scopes, lifetime, allow-list.
    [
      'every rule broken: scopes first',
      policy({ allowedScopes: ['read'], maxLifetimeDays: 7, requireAllowedCidrs: true }),
      terms({ scopes: ['write'], lifetimeMs: 30 * DAY, allowedCidrs: null }),
      'allowed_scopes',
    ],
    [
      'lifetime and allow-list broken: lifetime first',
      policy({ maxLifetimeDays: 7, requireAllowedCidrs: true }),
      terms({ lifetimeMs: 30 * DAY, allowedCidrs: null }),
      'max_lifetime_days',
    ],
    // idle_revoke_days is stored only: it decides nothing yet.
    ['idle_revoke_days set', policy({ idleRevokeDays: 7 }), terms(), null],
  ];
  for (const [name, p, t, want] of cases) {
    it(`${want ?? 'complies'}: ${name}`, () => {
      assert.equal(tokenPolicyViolation(p, t)?.rule ?? null, want);
    });
  }

  it('names the scopes outside the policy and the maximum', () => {
    const scopes = tokenPolicyViolation(
      policy({ allowedScopes: ['read'] }),
      terms({ scopes: ['read', 'write', 'admin'] }),
    );
    assert.deepEqual(scopes, {
      rule: 'allowed_scopes',
      allowed: ['read'],
      outside: ['write', 'admin'],
    });
    const lifetime = tokenPolicyViolation(policy({ maxLifetimeDays: 7 }), terms());
    assert.deepEqual(lifetime, { rule: 'max_lifetime_days', maxDays: 7 });
  });

  it('measures an existing token from creation to expiry (policy_compliant)', () => {
    const createdAt = new Date('2026-01-01T00:00:00Z');
    const token = (days: number) => ({
      scopes: ['read'] as Scope[],
      createdAt,
      expiresAt: new Date(createdAt.getTime() + days * DAY),
      allowedCidrs: null,
    });
    assert.equal(existingTokenTerms(token(30)).lifetimeMs, 30 * DAY);
    assert.equal(tokenComplies(policy({ maxLifetimeDays: 30 }), token(30)), true);
    assert.equal(tokenComplies(policy({ maxLifetimeDays: 30 }), token(31)), false);
    assert.equal(tokenComplies(null, token(365)), true, 'no workspace: no policy');
  });
});

describe('tokenPolicyRefusal: making a token (400)', () => {
  it('refuses with 400 policy_violation naming the rule and the offending field', () => {
    const cases: Array<[Partial<TokenPolicy>, TokenTerms, string | undefined, string, RegExp]> = [
      [
        { allowedScopes: ['read'] },
        terms({ scopes: ['read', 'delete'] }),
        undefined,
        'scopes',
        /\(allowed_scopes\) allows only the scopes read: leave out delete\./,
      ],
      [
        { maxLifetimeDays: 7 },
        terms({ lifetimeMs: 8 * DAY }),
        undefined,
        'expires_in_days',
        /\(max_lifetime_days\) allows tokens to live at most 7 days/,
      ],
      [
        { maxLifetimeDays: 7 },
        terms({ lifetimeMs: 8 * DAY }),
        'expires_at',
        'expires_at',
        /choose an earlier expiry \(expires_at\)/,
      ],
      [
        { requireAllowedCidrs: true },
        terms(),
        undefined,
        'allowed_cidrs',
        /\(require_allowed_cidrs\) requires every token to have an address allow-list/,
      ],
    ];
    for (const [changes, t, lifetimeField, field, message] of cases) {
      const refusal = tokenPolicyRefusal(
        policyWorkspace(changes),
        t,
        lifetimeField as LifetimeField | undefined,
      );
      assert.ok(refusal, field);
      assert.equal(refusal.rule, 'token_policy');
      assert.equal(refusal.status, 400);
      assert.equal(refusal.code, 'policy_violation');
      assert.match(refusal.message, message);
      assert.deepEqual(refusal.toBody().details, [{ field, message: refusal.message }]);
    }
  });

  it('lets through what complies, and anything outside a workspace', () => {
    assert.equal(tokenPolicyRefusal(policyWorkspace({ maxLifetimeDays: 30 }), terms()), null);
    assert.equal(tokenPolicyRefusal(undefined, terms({ lifetimeMs: 365 * DAY })), null);
    assert.doesNotThrow(() => assertTokenPolicyAllows(undefined, terms()));
    assert.throws(
      () => assertTokenPolicyAllows(policyWorkspace({ allowedScopes: ['write'] }), terms()),
      (error: unknown) => error instanceof PolicyRefusal && error.code === 'policy_violation',
    );
  });
});

describe('tokenInUseRefusal: an existing token (403)', () => {
  const strict = policyWorkspace({ allowedScopes: ['read'], maxLifetimeDays: 30 });

  it('refuses a token the tightened policy no longer allows, naming rule and field', () => {
    const scopes = tokenInUseRefusal(strict, tokenInUse(['read', 'write'], DAY));
    assert.equal(scopes?.status, 403);
    assert.equal(scopes?.code, 'policy_violation');
    assert.equal(scopes?.rule, 'token_policy');
    assert.match(scopes?.message ?? '', /no longer complies .*\(allowed_scopes\).*Revoke it/);
    assert.equal(scopes?.details?.[0]?.field, 'scopes');
    const lifetime = tokenInUseRefusal(strict, tokenInUse(['read'], 31 * DAY));
    assert.equal(lifetime?.details?.[0]?.field, 'expires_at');
    const cidrs = tokenInUseRefusal(
      policyWorkspace({ requireAllowedCidrs: true }),
      tokenInUse(['read'], DAY),
    );
    assert.equal(cidrs?.details?.[0]?.field, 'allowed_cidrs');
    assert.equal(
      tokenInUseRefusal(
        policyWorkspace({ requireAllowedCidrs: true }),
        tokenInUse(['read'], DAY, ['192.0.2.0/24']),
      ),
      null,
    );
  });

  it('allows the 60 s of slack on an existing token’s lifetime', () => {
    assert.equal(tokenInUseRefusal(strict, tokenInUse(['read'], 30 * DAY + SLACK)), null);
    assert.ok(tokenInUseRefusal(strict, tokenInUse(['read'], 30 * DAY + SLACK + 1000)));
  });

  it('does not apply to OAuth access tokens, passwords, sessions, instance tokens or another workspace', () => {
    const everything = tokenInUse([...SCOPES], 365 * DAY);
    for (const credential of ['oauth', 'password', 'session'] as const) {
      assert.equal(tokenInUseRefusal(strict, principal(credential, SCOPES)), null, credential);
    }
    assert.equal(tokenInUseRefusal(strict, { ...everything, tokenWorkspaceId: null }), null);
    assert.equal(
      tokenInUseRefusal(policyWorkspace({ allowedScopes: ['read'] }, 'w2'), everything),
      null,
    );
  });

  it('is part of workspaceRefusal, after the scope and before plan and billing; revoking is exempt', () => {
    const readOnly = {
      ...policyWorkspace({ allowedScopes: ['read'] }),
      plan: 'free',
      billingStatus: 'read_only',
    } as Workspace;
    const writer = tokenInUse(['read', 'write'], DAY);
    assert.equal(
      workspaceRefusal(readOnly, membership('owner'), writer, ACTIONS['read projects'])?.rule,
      'token_policy',
    );
    assert.equal(
      workspaceRefusal(
        readOnly,
        membership('owner'),
        tokenInUse(['write'], DAY),
        ACTIONS['delete an issue'],
      )?.rule,
      'scope',
    );
    assert.equal(
      workspaceRefusal(
        policyWorkspace({ allowedScopes: ['read'] }),
        membership('owner'),
        tokenInUse(['read', 'delete'], DAY),
        TOKEN_ACTIONS.revoke,
      ),
      null,
    );
    assert.equal(
      workspaceRefusal(
        policyWorkspace({ allowedScopes: ['read', 'write'] }),
        membership('owner'),
        writer,
        ACTIONS['update an issue'],
      ),
      null,
    );
  });
});

describe('service accounts in the workspace policy (SPEC §11.5)', () => {
  it('matches the decision table for its actions: manage permission, plans and billing', () => {
    for (const plan of PLANS) {
      for (const billing of BILLING_STATUSES) {
        for (const role of ROLES) {
          for (const credential of ['token', 'oauth', 'password', 'session'] as const) {
            const scopeSets =
              credential === 'token' || credential === 'oauth' ? SCOPE_SETS : [SCOPES];
            for (const scopes of scopeSets) {
              for (const [name, action] of Object.entries(SERVICE_ACCOUNT_ACTIONS)) {
                const refusal = workspaceRefusal(
                  workspace(plan, billing),
                  membership(role),
                  principal(credential, scopes),
                  action,
                );
                assert.equal(
                  refusal?.rule ?? null,
                  expected(plan, billing, role, credential, scopes, action),
                  `${plan}/${billing}/${role}/${credential}[${scopes.join(',')}]: ${name}`,
                );
              }
            }
          }
        }
      }
    }
  });

  it('lets owners and admins only manage them; members and viewers get 403 forbidden', () => {
    for (const role of ROLES) {
      const refusal = workspaceRefusal(
        workspace('pro', 'active'),
        membership(role),
        principal('password', SCOPES),
        SERVICE_ACCOUNT_ACTIONS.create,
      );
      assert.equal(
        refusal?.code ?? null,
        role === 'owner' || role === 'admin' ? null : 'forbidden',
      );
    }
  });

  it('creates and deletes on every plan, mints tokens only with API access', () => {
    const owner = membership('owner');
    const me = principal('password', SCOPES);
    const free = workspace('free', 'active');
    assert.equal(workspaceRefusal(free, owner, me, SERVICE_ACCOUNT_ACTIONS.create), null);
    assert.equal(workspaceRefusal(free, owner, me, SERVICE_ACCOUNT_ACTIONS.delete), null);
    assert.equal(
      workspaceRefusal(free, owner, me, SERVICE_ACCOUNT_ACTIONS.mintToken)?.code,
      'plan_required',
    );
    const readOnly = workspace('pro', 'read_only');
    assert.equal(workspaceRefusal(readOnly, owner, me, SERVICE_ACCOUNT_ACTIONS.delete), null);
    assert.equal(
      workspaceRefusal(readOnly, owner, me, SERVICE_ACCOUNT_ACTIONS.create)?.code,
      'workspace_read_only',
    );
  });

  it('refuses what people’s routes would do to a service account, with the SPEC codes', () => {
    const cases: Array<
      [Parameters<typeof serviceAccountChangeRefusal>[0], number | null, string?]
    > = [
      [{ kind: 'add_member' }, 400, 'user_id'],
      [{ kind: 'member_role', role: 'member' }, null],
      [{ kind: 'member_role', role: 'admin' }, null],
      [{ kind: 'member_role', role: 'owner' }, 400, 'role'],
      [{ kind: 'member_role', role: 'viewer' }, 400, 'role'],
      [{ kind: 'remove_member' }, 409],
      [{ kind: 'password' }, 400, 'password'],
      [{ kind: 'legacy_api_password' }, 400, 'legacy_api_password'],
      [{ kind: 'admin_rights', isAdmin: true }, 400, 'is_admin'],
      [{ kind: 'admin_rights', isAdmin: false }, null],
      [{ kind: 'status', active: false, deleted: false }, null],
      [{ kind: 'status', active: true, deleted: false }, null],
      [{ kind: 'status', active: false, deleted: true }, null],
      [{ kind: 'status', active: true, deleted: true }, 409],
      [{ kind: 'password_reset' }, 409],
      [{ kind: 'two_factor_reset' }, 409],
    ];
    for (const [change, status, field] of cases) {
      const refusal = serviceAccountChangeRefusal(change);
      const label = JSON.stringify(change);
      assert.equal(refusal?.status ?? null, status, label);
      if (refusal) {
        assert.equal(refusal.code, status === 400 ? 'validation_failed' : 'conflict', label);
        assert.ok(refusal.message.length > 10, label);
        assert.equal(refusal.details?.[0]?.field, field, label);
      }
    }
    assert.deepEqual([...SERVICE_ACCOUNT_ROLES], ['member', 'admin']);
  });
});
