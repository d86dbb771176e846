import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import {
  assertError,
  createToken,
  createUser,
  createWorkspace,
  TestToken,
  TestUser,
  TestWorkspace,
} from '../support/factories';
import { ADMIN_USERNAME, basicAuth, startTestApp, TestApp } from '../support/test-app';

type Method = 'get' | 'post' | 'patch' | 'delete';
type Json = Record<string, unknown>;

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;
const USER_KEYS = [
  'created_at',
  'email',
  'id',
  'is_admin',
  'status',
  'two_factor_enabled',
  'type',
  'updated_at',
  'username',
];

let seq = 0;
const uniqueName = (stem: string): string =>
  `${stem}${Date.now().toString(36)}${seq++}${randomBytes(2).toString('hex')}`;

describe('Admin API', () => {
  let t: TestApp;
  let adminId: string;
  let alice: TestUser;
  let aliceWs: TestWorkspace;

  function call(
    method: Method,
    path: string,
    auth: string | null,
    body?: object,
    workspaceId?: string,
  ): request.Test {
    const req = t.http()[method](path);
    if (auth) {
      req.set('Authorization', auth);
    }
    if (workspaceId) {
      req.set('X-Workspace-Id', workspaceId);
    }
    return body ? req.send(body) : req;
  }

  /** An instance token of the admin (no workspace), created with the admin's password. */
  async function adminInstanceToken(scopes: string[]): Promise<TestToken> {
    const res = await call('post', '/api/v1/tokens', t.adminBasic, {
      name: 'automation',
      scopes,
      expires_in_days: 7,
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.workspace_id, null);
    return { id: res.body.id, token: res.body.token, bearer: `Bearer ${res.body.token}` };
  }

  before(async () => {
    t = await startTestApp();
    const me = await call('get', '/api/v1/me', t.adminBasic);
    assert.equal(me.status, 200, JSON.stringify(me.body));
    adminId = me.body.id as string;
    alice = await createUser(t);
    aliceWs = await createWorkspace(t, alice);
  });
  after(() => t.close());

  describe('access', () => {
    let adminToken: TestToken;
    let adminNoAdminScope: TestToken;
    let aliceAdminScope: TestToken;

    before(async () => {
      adminToken = await adminInstanceToken(['admin']);
      adminNoAdminScope = await adminInstanceToken(['read', 'write', 'delete']);
      // Any user may give their own token the admin scope; it only helps instance admins.
      aliceAdminScope = await createToken(t, alice, aliceWs, { scopes: ['admin'] });
    });

    const routes: Array<[string, Method, () => string, () => object | undefined]> = [
      ['GET /api/v1/admin/users', 'get', () => '/api/v1/admin/users', () => undefined],
      [
        'POST /api/v1/admin/users',
        'post',
        () => '/api/v1/admin/users',
        () => {
          const username = uniqueName('sneak');
          return { username, email: `${username}@example.test`, password: 'long-enough-pass' };
        },
      ],
      [
        'PATCH /api/v1/admin/users/:id',
        'patch',
        () => `/api/v1/admin/users/${alice.id}`,
        () => ({ is_admin: true }),
      ],
      ['GET /api/v1/admin/workspaces', 'get', () => '/api/v1/admin/workspaces', () => undefined],
      [
        'PATCH /api/v1/admin/workspaces/:id',
        'patch',
        () => `/api/v1/admin/workspaces/${aliceWs.id}`,
        () => ({ plan: 'enterprise' }),
      ],
    ];

    for (const [name, method, path, body] of routes) {
      it(`${name}: 401 without credentials`, async () => {
        assertError(await call(method, path(), null, body()), 401, 'missing_credentials');
      });

      it(`${name}: 403 forbidden for a non-admin user, by password and by admin-scope token`, async () => {
        assertError(await call(method, path(), alice.basic, body()), 403, 'forbidden');
        assertError(await call(method, path(), aliceAdminScope.bearer, body()), 403, 'forbidden');
      });

      it(`${name}: 403 insufficient_scope for an admin’s token without the admin scope`, async () => {
        const res = await call(method, path(), adminNoAdminScope.bearer, body());
        assertError(res, 403, 'insufficient_scope');
        const challenge = String(res.headers['www-authenticate']);
        assert.match(challenge, /error="insufficient_scope"/);
        assert.match(challenge, /scope="admin"/);
      });
    }

    it('nothing was changed by the refused calls', async () => {
      const users = await call('get', '/api/v1/admin/users?limit=100', adminToken.bearer);
      assert.equal(users.status, 200);
      const row = users.body.data.find((u: { id: string }) => u.id === alice.id);
      assert.equal(row.is_admin, false);
      assert.ok(!users.body.data.some((u: { username: string }) => u.username.startsWith('sneak')));
      const workspaces = await call('get', '/api/v1/admin/workspaces?limit=100', adminToken.bearer);
      const ws = workspaces.body.data.find((w: { id: string }) => w.id === aliceWs.id);
      assert.equal(ws.plan, 'pro');
    });

    it('an admin’s instance token with the admin scope works', async () => {
      const res = await call('get', '/api/v1/admin/users', adminToken.bearer);
      assert.equal(res.status, 200);
      assert.ok(res.body.total_count >= 2);
    });

    it('an admin’s workspace token with the admin scope works too', async () => {
      const admin = { basic: t.adminBasic } as TestUser;
      const adminWs = await createWorkspace(t, admin);
      const token = await createToken(t, admin, adminWs, { scopes: ['admin'] });
      const res = await call('get', '/api/v1/admin/workspaces', token.bearer);
      assert.equal(res.status, 200);
    });
  });

  describe('users', () => {
    it('POST creates a user: 201 without any secret in the body', async () => {
      const username = uniqueName('Dana.');
      const password = 'correct-horse-battery';
      const res = await call('post', '/api/v1/admin/users', t.adminBasic, {
        username,
        email: `${username.toUpperCase()}@Example.TEST`,
        password,
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.deepEqual(Object.keys(res.body).sort(), USER_KEYS);
      assert.match(res.body.id, UUID_RE);
      assert.equal(res.body.username, username);
      assert.equal(res.body.email, `${username.toLowerCase()}@example.test`);
      assert.equal(res.body.is_admin, false);
      assert.equal(res.body.status, 'active');
      assert.equal(res.body.two_factor_enabled, false);
      assert.match(res.body.created_at, ISO_RE);
      assert.ok(!JSON.stringify(res.body).includes(password));

      const me = await call('get', '/api/v1/me', basicAuth(username, password));
      assert.equal(me.status, 200);
      assert.equal(me.body.id, res.body.id);
    });

    it('POST with a taken username → 409 conflict on username', async () => {
      const res = await call('post', '/api/v1/admin/users', t.adminBasic, {
        username: alice.username,
        email: `${uniqueName('other')}@example.test`,
        password: 'long-enough-pass',
      });
      assertError(res, 409, 'conflict');
      assert.deepEqual(
        res.body.details.map((d: { field: string }) => d.field),
        ['username'],
      );
    });

    it('POST with a taken e-mail (in any case) → 409 conflict on email', async () => {
      const res = await call('post', '/api/v1/admin/users', t.adminBasic, {
        username: uniqueName('other'),
        email: `${alice.username}@EXAMPLE.test`,
        password: 'long-enough-pass',
      });
      assertError(res, 409, 'conflict');
      assert.deepEqual(
        res.body.details.map((d: { field: string }) => d.field),
        ['email'],
      );
    });

    const invalid: Array<[string, Json, string]> = [
      ['a one-letter username', { username: 'x' }, 'username'],
      ['a username with a space', { username: 'jo smith' }, 'username'],
      ['a bad e-mail', { email: 'not-an-email' }, 'email'],
      ['a short password', { password: 'short' }, 'password'],
      ['a non-boolean is_admin', { is_admin: 'yes' }, 'is_admin'],
      ['an unknown field', { role: 'owner' }, 'role'],
    ];
    for (const [label, override, field] of invalid) {
      it(`POST with ${label} → 400 validation_failed`, async () => {
        const username = uniqueName('val');
        const res = await call('post', '/api/v1/admin/users', t.adminBasic, {
          username,
          email: `${username}@example.test`,
          password: 'long-enough-pass',
          ...override,
        });
        assertError(res, 400, 'validation_failed');
        assert.ok(
          res.body.details.some((d: { field: string }) => d.field === field),
          JSON.stringify(res.body.details),
        );
      });
    }

    it('GET lists users, paginated, with no secrets', async () => {
      const res = await call('get', '/api/v1/admin/users?limit=100', t.adminBasic);
      assert.equal(res.status, 200);
      assert.ok(res.body.total_count >= 3);
      assert.equal(res.body.data.length, res.body.total_count);
      const names = res.body.data.map((u: { username: string }) => u.username);
      assert.ok(names.includes(ADMIN_USERNAME));
      assert.ok(names.includes(alice.username));
      for (const user of res.body.data) {
        assert.deepEqual(Object.keys(user).sort(), USER_KEYS);
      }
      const page = await call('get', '/api/v1/admin/users?limit=1&offset=1', t.adminBasic);
      assert.equal(page.body.data.length, 1);
      assert.equal(page.body.total_count, res.body.total_count);
      assert.equal(page.body.data[0].id, res.body.data[1].id);
    });

    it('GET rejects a bad status filter and a limit over 100', async () => {
      assertError(
        await call('get', '/api/v1/admin/users?status=banned', t.adminBasic),
        400,
        'validation_failed',
      );
      assertError(
        await call('get', '/api/v1/admin/users?limit=101', t.adminBasic),
        400,
        'validation_failed',
      );
    });

    it('PATCH locks and unlocks a user; a locked user cannot sign in', async () => {
      const bob = await createUser(t);
      const lock = await call('patch', `/api/v1/admin/users/${bob.id}`, t.adminBasic, {
        status: 'locked',
      });
      assert.equal(lock.status, 200, JSON.stringify(lock.body));
      assert.equal(lock.body.status, 'locked');
      assert.deepEqual(Object.keys(lock.body).sort(), USER_KEYS);
      assertError(await call('get', '/api/v1/me', bob.basic), 401, 'invalid_credentials');

      const locked = await call('get', '/api/v1/admin/users?status=locked', t.adminBasic);
      assert.deepEqual(
        locked.body.data.map((u: { id: string }) => u.id),
        [bob.id],
      );

      const unlock = await call('patch', `/api/v1/admin/users/${bob.id}`, t.adminBasic, {
        status: 'active',
      });
      assert.equal(unlock.status, 200);
      assert.equal(unlock.body.status, 'active');
      assert.equal((await call('get', '/api/v1/me', bob.basic)).status, 200);
    });

    it('PATCH grants and takes back instance-admin rights', async () => {
      const carol = await createUser(t);
      const grant = await call('patch', `/api/v1/admin/users/${carol.id}`, t.adminBasic, {
        is_admin: true,
      });
      assert.equal(grant.status, 200);
      assert.equal(grant.body.is_admin, true);
      assert.equal((await call('get', '/api/v1/admin/users', carol.basic)).status, 200);
      const revoke = await call('patch', `/api/v1/admin/users/${carol.id}`, t.adminBasic, {
        is_admin: false,
      });
      assert.equal(revoke.body.is_admin, false);
      assertError(await call('get', '/api/v1/admin/users', carol.basic), 403, 'forbidden');
    });

    it('PATCH sets a new password; the old one stops working', async () => {
      const erin = await createUser(t);
      const password = 'brand-new-password-1';
      const res = await call('patch', `/api/v1/admin/users/${erin.id}`, t.adminBasic, {
        password,
      });
      assert.equal(res.status, 200);
      assert.ok(!JSON.stringify(res.body).includes(password));
      assertError(await call('get', '/api/v1/me', erin.basic), 401, 'invalid_credentials');
      assert.equal(
        (await call('get', '/api/v1/me', basicAuth(erin.username, password))).status,
        200,
      );
    });

    it('an admin cannot lock himself or drop his own admin rights (409 conflict)', async () => {
      assertError(
        await call('patch', `/api/v1/admin/users/${adminId}`, t.adminBasic, { status: 'locked' }),
        409,
        'conflict',
      );
      assertError(
        await call('patch', `/api/v1/admin/users/${adminId}`, t.adminBasic, { is_admin: false }),
        409,
        'conflict',
      );
      const me = await call('get', '/api/v1/me', t.adminBasic);
      assert.equal(me.status, 200);
      assert.equal(me.body.is_admin, true);
      assert.equal(me.body.status, 'active');
    });

    it('PATCH of an unknown user or a non-UUID id → 404 not_found', async () => {
      assertError(
        await call('patch', `/api/v1/admin/users/${randomUUID()}`, t.adminBasic, {
          status: 'locked',
        }),
        404,
        'not_found',
      );
      assertError(
        await call('patch', '/api/v1/admin/users/admin', t.adminBasic, { status: 'locked' }),
        404,
        'not_found',
      );
    });

    const badPatches: Array<[string, Json, string]> = [
      ['an unknown status', { status: 'banned' }, 'status'],
      ['a short password', { password: 'short' }, 'password'],
      ['a non-boolean is_admin', { is_admin: 'true' }, 'is_admin'],
      ['a username (not changeable)', { username: 'renamed' }, 'username'],
    ];
    for (const [label, body, field] of badPatches) {
      it(`PATCH with ${label} → 400 validation_failed`, async () => {
        const res = await call('patch', `/api/v1/admin/users/${alice.id}`, t.adminBasic, body);
        assertError(res, 400, 'validation_failed');
        assert.ok(
          res.body.details.some((d: { field: string }) => d.field === field),
          JSON.stringify(res.body.details),
        );
      });
    }

    // null must be refused with 400 (it once slipped past @IsOptional() into NOT NULL columns).
    const nullPatches: Array<[string, Json, string]> = [
      ['a null status', { status: null }, 'status'],
      ['a null is_admin', { is_admin: null }, 'is_admin'],
    ];
    for (const [label, body, field] of nullPatches) {
      it(`PATCH with ${label} → 400 validation_failed`, async () => {
        const res = await call('patch', `/api/v1/admin/users/${alice.id}`, t.adminBasic, body);
        assertError(res, 400, 'validation_failed');
        assert.ok(res.body.details.some((d: { field: string }) => d.field === field));
        const user = await call('get', '/api/v1/admin/users?limit=100', t.adminBasic);
        const row = user.body.data.find((u: { id: string }) => u.id === alice.id);
        assert.equal(row.status, 'active');
        assert.equal(row.is_admin, false);
      });
    }
  });

  describe('workspaces', () => {
    let ws: TestWorkspace;

    before(async () => {
      ws = await createWorkspace(t, alice, { plan: 'free' });
    });

    const patch = (id: string, body: object): request.Test =>
      call('patch', `/api/v1/admin/workspaces/${id}`, t.adminBasic, body);

    it('GET lists every workspace, including those the admin is not a member of', async () => {
      const res = await call('get', '/api/v1/admin/workspaces?limit=100', t.adminBasic);
      assert.equal(res.status, 200);
      const row = res.body.data.find((w: { id: string }) => w.id === ws.id);
      assert.ok(row, 'alice’s workspace is listed');
      assert.deepEqual(Object.keys(row).sort(), [
        'billing_status',
        'created_at',
        'id',
        'name',
        'plan',
        'seats_used',
        'token_limit',
        'token_packs',
        'updated_at',
      ]);
      assert.equal(row.plan, 'free');
      assert.equal(row.seats_used, 1);
      assert.equal(row.billing_status, 'active');
      assert.equal(row.token_limit, 0);
      assert.ok(res.body.total_count >= 2);
      assertError(
        await call('get', '/api/v1/admin/workspaces?offset=-1', t.adminBasic),
        400,
        'validation_failed',
      );
    });

    it('PATCH sets plan, token packs and billing status; limits follow', async () => {
      const steps: Array<[object, Json]> = [
        [{ plan: 'team' }, { plan: 'team', token_limit: 20, token_packs: 0 }],
        [{ token_packs: 2 }, { plan: 'team', token_limit: 30, token_packs: 2 }],
        [{ plan: 'enterprise' }, { plan: 'enterprise', token_limit: null }],
        [{ plan: 'solo_pro' }, { plan: 'solo_pro', token_limit: 0, token_packs: 2 }],
        [
          { plan: 'pro', token_packs: 0 },
          { plan: 'pro', token_limit: 5, token_packs: 0 },
        ],
        [{ billing_status: 'read_only' }, { plan: 'pro', billing_status: 'read_only' }],
        [{ billing_status: 'active' }, { billing_status: 'active' }],
      ];
      for (const [body, expected] of steps) {
        const res = await patch(ws.id, body);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.equal(res.body.id, ws.id);
        assert.equal(res.body.role, undefined);
        for (const [key, value] of Object.entries(expected)) {
          assert.equal(res.body[key], value, `${JSON.stringify(body)} → ${key}`);
        }
      }
      // The owner sees the change.
      const own = await call('get', `/api/v1/workspaces/${ws.id}`, alice.basic);
      assert.equal(own.body.plan, 'pro');
      assert.equal(own.body.token_limit, 5);
    });

    const invalid: Array<[string, Json, string]> = [
      ['an unknown plan', { plan: 'platinum' }, 'plan'],
      ['a null plan', { plan: null }, 'plan'],
      ['an unknown billing status', { billing_status: 'frozen' }, 'billing_status'],
      ['a null billing status', { billing_status: null }, 'billing_status'],
      ['negative token packs', { token_packs: -1 }, 'token_packs'],
      ['fractional token packs', { token_packs: 1.5 }, 'token_packs'],
      ['token packs as a string', { token_packs: '3' }, 'token_packs'],
      ['null token packs', { token_packs: null }, 'token_packs'],
      ['an unknown field', { seats: 10 }, 'seats'],
    ];
    for (const [label, body, field] of invalid) {
      it(`PATCH with ${label} → 400 validation_failed, nothing changed`, async () => {
        const res = await patch(ws.id, body);
        assertError(res, 400, 'validation_failed');
        assert.ok(
          res.body.details.some((d: { field: string }) => d.field === field),
          JSON.stringify(res.body.details),
        );
        const own = await call('get', `/api/v1/workspaces/${ws.id}`, alice.basic);
        assert.equal(own.body.plan, 'pro');
        assert.equal(own.body.billing_status, 'active');
        assert.equal(own.body.token_packs, 0);
      });
    }

    it('PATCH of an unknown workspace or a non-UUID id → 404 not_found', async () => {
      assertError(await patch(randomUUID(), { plan: 'pro' }), 404, 'not_found');
      assertError(await patch('acme', { plan: 'pro' }), 404, 'not_found');
    });
  });
});
