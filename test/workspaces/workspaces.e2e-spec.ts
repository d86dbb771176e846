import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { Role } from '../../src/workspaces/roles-and-plans';
import {
  addMember,
  assertError,
  createToken,
  createUser,
  createWorkspace,
  setPlan,
  TestUser,
  TestWorkspace,
} from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';

type Method = 'get' | 'post' | 'patch' | 'delete';
type Json = Record<string, unknown>;

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;

describe('Workspaces', () => {
  let t: TestApp;

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

  async function roleOf(ws: TestWorkspace, auth: string, userId: string): Promise<Role | null> {
    const res = await call('get', `/api/v1/workspaces/${ws.id}/members?limit=100`, auth);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const row = (res.body.data as Array<{ user_id: string; role: Role }>).find(
      (m) => m.user_id === userId,
    );
    return row ? row.role : null;
  }

  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  describe('POST /api/v1/workspaces', () => {
    let alice: TestUser;

    before(async () => {
      alice = await createUser(t);
    });

    it('creates a workspace on the free plan with the creator as owner', async () => {
      const res = await call('post', '/api/v1/workspaces', alice.basic, { name: '  Acme Eng  ' });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.deepEqual(Object.keys(res.body).sort(), [
        'billing_status',
        'created_at',
        'id',
        'name',
        'plan',
        'role',
        'seats_used',
        'token_limit',
        'token_packs',
        'updated_at',
      ]);
      assert.match(res.body.id, UUID_RE);
      assert.equal(res.body.name, 'Acme Eng');
      assert.equal(res.body.plan, 'free');
      assert.equal(res.body.billing_status, 'active');
      assert.equal(res.body.token_packs, 0);
      assert.equal(res.body.token_limit, 0);
      assert.equal(res.body.role, 'owner');
      assert.equal(res.body.seats_used, 1);
      assert.match(res.body.created_at, ISO_RE);

      const got = await call('get', `/api/v1/workspaces/${res.body.id}`, alice.basic);
      assert.equal(got.status, 200);
      assert.equal(got.body.name, 'Acme Eng');
      assert.equal(got.body.role, 'owner');
      const members = await call('get', `/api/v1/workspaces/${res.body.id}/members`, alice.basic);
      assert.equal(members.status, 200);
      assert.equal(members.body.total_count, 1);
      assert.equal(members.body.data[0].user_id, alice.id);
      assert.equal(members.body.data[0].username, alice.username);
      assert.equal(members.body.data[0].role, 'owner');
    });

    const invalid: Array<[string, Json, string]> = [
      ['a missing name', {}, 'name'],
      ['an empty name', { name: '' }, 'name'],
      ['a blank name', { name: '   ' }, 'name'],
      ['a name over 120 chars', { name: 'w'.repeat(121) }, 'name'],
      ['a plan (plans are set by instance admins)', { name: 'X', plan: 'enterprise' }, 'plan'],
    ];
    for (const [label, body, field] of invalid) {
      it(`returns 400 validation_failed for ${label}`, async () => {
        const res = await call('post', '/api/v1/workspaces', alice.basic, body);
        assertError(res, 400, 'validation_failed');
        assert.ok(
          res.body.details.some((d: { field: string }) => d.field === field),
          JSON.stringify(res.body.details),
        );
      });
    }

    it('refuses a workspace-bound token with 403 forbidden', async () => {
      const ws = await createWorkspace(t, alice);
      const token = await createToken(t, alice, ws, { scopes: ['admin'] });
      const res = await call('post', '/api/v1/workspaces', token.bearer, { name: 'Sneaky' });
      assertError(res, 403, 'forbidden');
    });

    it('refuses a token without the write scope with 403 insufficient_scope', async () => {
      const ws = await createWorkspace(t, alice);
      const token = await createToken(t, alice, ws, { scopes: ['read'] });
      const res = await call('post', '/api/v1/workspaces', token.bearer, { name: 'X' });
      assertError(res, 403, 'insufficient_scope');
      assert.match(String(res.headers['www-authenticate']), /scope="write"/);
    });

    it('returns 401 missing_credentials without credentials', async () => {
      assertError(
        await call('post', '/api/v1/workspaces', null, { name: 'X' }),
        401,
        'missing_credentials',
      );
    });
  });

  describe('GET /api/v1/workspaces', () => {
    let alice: TestUser;
    let bob: TestUser;
    let a1: TestWorkspace;
    let a2: TestWorkspace;
    let shared: TestWorkspace;
    let bobOnly: TestWorkspace;

    before(async () => {
      alice = await createUser(t);
      bob = await createUser(t);
      a1 = await createWorkspace(t, alice);
      a2 = await createWorkspace(t, alice, { plan: 'free' });
      shared = await createWorkspace(t, bob);
      bobOnly = await createWorkspace(t, bob);
      await addMember(t, shared, bob, alice, 'viewer');
    });

    it('lists only the caller’s workspaces, each with the caller’s role', async () => {
      const res = await call('get', '/api/v1/workspaces', alice.basic);
      assert.equal(res.status, 200);
      assert.equal(res.body.total_count, 3);
      const byId = new Map(
        (res.body.data as Array<{ id: string; role: string; plan: string }>).map((w) => [w.id, w]),
      );
      assert.deepEqual([...byId.keys()].sort(), [a1.id, a2.id, shared.id].sort());
      assert.equal(byId.get(a1.id)?.role, 'owner');
      assert.equal(byId.get(a1.id)?.plan, 'pro');
      assert.equal(byId.get(a2.id)?.plan, 'free');
      assert.equal(byId.get(shared.id)?.role, 'viewer');
      assert.ok(!byId.has(bobOnly.id));
    });

    it('paginates', async () => {
      const res = await call('get', '/api/v1/workspaces?limit=2&offset=2', alice.basic);
      assert.equal(res.status, 200);
      assert.equal(res.body.data.length, 1);
      assert.equal(res.body.total_count, 3);
      assertError(
        await call('get', '/api/v1/workspaces?limit=101', alice.basic),
        400,
        'validation_failed',
      );
    });

    it('a workspace-bound token sees only its own workspace', async () => {
      const token = await createToken(t, alice, a1, { scopes: ['read'] });
      const res = await call('get', '/api/v1/workspaces', token.bearer);
      assert.equal(res.status, 200);
      assert.equal(res.body.total_count, 1);
      assert.deepEqual(
        res.body.data.map((w: { id: string }) => w.id),
        [a1.id],
      );
    });
  });

  describe('GET/PATCH /api/v1/workspaces/:id', () => {
    let owner: TestUser;
    let admin: TestUser;
    let member: TestUser;
    let viewer: TestUser;
    let stranger: TestUser;
    let ws: TestWorkspace;
    let ownerAuth: string;

    before(async () => {
      owner = await createUser(t);
      admin = await createUser(t);
      member = await createUser(t);
      viewer = await createUser(t);
      stranger = await createUser(t);
      ws = await createWorkspace(t, owner, { name: 'Original' });
      await addMember(t, ws, owner, admin, 'admin');
      await addMember(t, ws, owner, member, 'member');
      await addMember(t, ws, owner, viewer, 'viewer');
      ownerAuth = (await createToken(t, owner, ws)).bearer;
    });

    async function nameOf(): Promise<string> {
      const res = await call('get', `/api/v1/workspaces/${ws.id}`, ownerAuth);
      return res.body.name as string;
    }

    it('every member reads it, with their own role', async () => {
      for (const [user, role] of [
        [owner, 'owner'],
        [member, 'member'],
        [viewer, 'viewer'],
      ] as const) {
        const res = await call('get', `/api/v1/workspaces/${ws.id}`, user.basic);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.equal(res.body.id, ws.id);
        assert.equal(res.body.role, role);
      }
    });

    it('returns 404 not_found to a non-member, for an unknown id and for a non-UUID', async () => {
      assertError(
        await call('get', `/api/v1/workspaces/${ws.id}`, stranger.basic),
        404,
        'not_found',
      );
      assertError(
        await call('get', `/api/v1/workspaces/${randomUUID()}`, owner.basic),
        404,
        'not_found',
      );
      assertError(await call('get', '/api/v1/workspaces/acme', owner.basic), 404, 'not_found');
      assertError(
        await call('get', `/api/v1/workspaces/${ws.id}/members`, stranger.basic),
        404,
        'not_found',
      );
    });

    // AccessGuard lower-cases the path id before the membership look-up (same on both databases).
    it('accepts an upper-case workspace id in the path', async () => {
      const res = await call('get', `/api/v1/workspaces/${ws.id.toUpperCase()}`, member.basic);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.id, ws.id);
    });

    it('a token bound to another workspace gets 403 workspace_mismatch', async () => {
      const own = await createWorkspace(t, stranger);
      const token = await createToken(t, stranger, own);
      assertError(
        await call('get', `/api/v1/workspaces/${ws.id}`, token.bearer),
        403,
        'workspace_mismatch',
      );
    });

    it('PATCH by a member or a viewer → 403 forbidden, name unchanged', async () => {
      for (const user of [member, viewer]) {
        const res = await call('patch', `/api/v1/workspaces/${ws.id}`, user.basic, {
          name: 'Taken over',
        });
        assertError(res, 403, 'forbidden');
      }
      assert.equal(await nameOf(), 'Original');
    });

    it('PATCH by a non-member → 404 not_found', async () => {
      const res = await call('patch', `/api/v1/workspaces/${ws.id}`, stranger.basic, {
        name: 'Taken over',
      });
      assertError(res, 404, 'not_found');
      assert.equal(await nameOf(), 'Original');
    });

    it('PATCH by an admin → 200 with the new name', async () => {
      const res = await call('patch', `/api/v1/workspaces/${ws.id}`, admin.basic, {
        name: ' Renamed ',
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.name, 'Renamed');
      assert.equal(res.body.role, 'admin');
      assert.equal(res.body.plan, 'pro');
      assert.equal(await nameOf(), 'Renamed');
    });

    const badPatches: Array<[string, Json, string]> = [
      ['an empty name', { name: '' }, 'name'],
      ['a blank name', { name: '   ' }, 'name'],
      ['a null name', { name: null }, 'name'],
      ['a plan', { plan: 'enterprise' }, 'plan'],
      ['a billing_status', { billing_status: 'active' }, 'billing_status'],
    ];
    for (const [label, body, field] of badPatches) {
      it(`PATCH returns 400 validation_failed for ${label}`, async () => {
        const before = await nameOf();
        const res = await call('patch', `/api/v1/workspaces/${ws.id}`, ownerAuth, body);
        assertError(res, 400, 'validation_failed');
        assert.ok(
          res.body.details.some((d: { field: string }) => d.field === field),
          JSON.stringify(res.body.details),
        );
        assert.equal(await nameOf(), before);
      });
    }

    it('workspace management works on the free plan (it is how a workspace gets upgraded)', async () => {
      const free = await createWorkspace(t, owner, { plan: 'free', name: 'Free one' });
      const res = await call('patch', `/api/v1/workspaces/${free.id}`, owner.basic, {
        name: 'Free renamed',
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      await addMember(t, free, owner, member, 'member');
      const members = await call('get', `/api/v1/workspaces/${free.id}/members`, member.basic);
      assert.equal(members.status, 200);
      assert.equal(members.body.total_count, 2);
    });

    it('billing read_only: PATCH → 402 workspace_read_only, GET still works', async () => {
      await setPlan(t, ws.id, { billing_status: 'read_only' });
      try {
        const res = await call('patch', `/api/v1/workspaces/${ws.id}`, ownerAuth, {
          name: 'While read-only',
        });
        assertError(res, 402, 'workspace_read_only');
        const got = await call('get', `/api/v1/workspaces/${ws.id}`, ownerAuth);
        assert.equal(got.status, 200);
        assert.equal(got.body.billing_status, 'read_only');
      } finally {
        await setPlan(t, ws.id, { billing_status: 'active' });
      }
      assert.notEqual(await nameOf(), 'While read-only');
    });
  });

  describe('members', () => {
    let owner: TestUser;
    let admin: TestUser;
    let member: TestUser;
    let newcomer: TestUser;
    let ws: TestWorkspace;
    let ownerAuth: string;

    before(async () => {
      owner = await createUser(t);
      admin = await createUser(t);
      member = await createUser(t);
      newcomer = await createUser(t);
      ws = await createWorkspace(t, owner);
      await addMember(t, ws, owner, admin, 'admin');
      await addMember(t, ws, owner, member, 'member');
      // The owner's own calls go through a token: cheaper than a password check each time.
      ownerAuth = (await createToken(t, owner, ws)).bearer;
    });

    const membersPath = (): string => `/api/v1/workspaces/${ws.id}/members`;
    const memberPath = (userId: string): string => `/api/v1/workspaces/${ws.id}/members/${userId}`;

    it('lists members with username and role; any member may read it', async () => {
      const res = await call('get', membersPath(), member.basic);
      assert.equal(res.status, 200);
      assert.equal(res.body.total_count, 3);
      const roles = Object.fromEntries(
        (res.body.data as Array<{ username: string; role: string }>).map((m) => [
          m.username,
          m.role,
        ]),
      );
      assert.deepEqual(roles, {
        [owner.username]: 'owner',
        [admin.username]: 'admin',
        [member.username]: 'member',
      });
      for (const row of res.body.data) {
        assert.deepEqual(Object.keys(row).sort(), [
          'created_at',
          'role',
          'type',
          'user_id',
          'username',
        ]);
        assert.equal(row.type, 'user');
      }
    });

    it('an admin adds a member: 201 with the membership', async () => {
      const res = await call('post', membersPath(), admin.basic, {
        user_id: newcomer.id,
        role: 'member',
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.user_id, newcomer.id);
      assert.equal(res.body.username, newcomer.username);
      assert.equal(res.body.role, 'member');
      assert.match(res.body.created_at, ISO_RE);
      assert.equal(await roleOf(ws, ownerAuth, newcomer.id), 'member');
    });

    it('adding an existing member again → 409 conflict, role unchanged', async () => {
      const res = await call('post', membersPath(), ownerAuth, {
        user_id: member.id,
        role: 'admin',
      });
      assertError(res, 409, 'conflict');
      assert.equal(await roleOf(ws, ownerAuth, member.id), 'member');
    });

    it('adding an unknown user → 400 validation_failed on user_id', async () => {
      const res = await call('post', membersPath(), ownerAuth, {
        user_id: randomUUID(),
        role: 'member',
      });
      assertError(res, 400, 'validation_failed');
      assert.deepEqual(
        res.body.details.map((d: { field: string }) => d.field),
        ['user_id'],
      );
    });

    const invalid: Array<[string, () => Json, string]> = [
      ['a user_id that is not a UUID', () => ({ user_id: 'bob', role: 'member' }), 'user_id'],
      ['an unknown role', () => ({ user_id: newcomer.id, role: 'superuser' }), 'role'],
      ['a missing role', () => ({ user_id: newcomer.id }), 'role'],
    ];
    for (const [label, body, field] of invalid) {
      it(`adding with ${label} → 400 validation_failed`, async () => {
        const res = await call('post', membersPath(), ownerAuth, body());
        assertError(res, 400, 'validation_failed');
        assert.ok(
          res.body.details.some((d: { field: string }) => d.field === field),
          JSON.stringify(res.body.details),
        );
      });
    }

    it('a member cannot add, change or remove members (403 forbidden)', async () => {
      const extra = await createUser(t);
      assertError(
        await call('post', membersPath(), member.basic, { user_id: extra.id, role: 'viewer' }),
        403,
        'forbidden',
      );
      assertError(
        await call('patch', memberPath(newcomer.id), member.basic, { role: 'viewer' }),
        403,
        'forbidden',
      );
      assertError(await call('delete', memberPath(newcomer.id), member.basic), 403, 'forbidden');
      assert.equal(await roleOf(ws, ownerAuth, extra.id), null);
      assert.equal(await roleOf(ws, ownerAuth, newcomer.id), 'member');
    });

    it('an admin cannot grant the owner role (403); an owner can (201)', async () => {
      const candidate = await createUser(t);
      assertError(
        await call('post', membersPath(), admin.basic, { user_id: candidate.id, role: 'owner' }),
        403,
        'forbidden',
      );
      assert.equal(await roleOf(ws, ownerAuth, candidate.id), null);
      assertError(
        await call('patch', memberPath(member.id), admin.basic, { role: 'owner' }),
        403,
        'forbidden',
      );
      assert.equal(await roleOf(ws, ownerAuth, member.id), 'member');

      const res = await call('post', membersPath(), ownerAuth, {
        user_id: candidate.id,
        role: 'owner',
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.role, 'owner');
      // And an admin cannot demote or remove that owner either.
      assertError(
        await call('patch', memberPath(candidate.id), admin.basic, { role: 'member' }),
        403,
        'forbidden',
      );
      assertError(await call('delete', memberPath(candidate.id), admin.basic), 403, 'forbidden');
      assert.equal(await roleOf(ws, ownerAuth, candidate.id), 'owner');
      // Clean up: the owner removes the second owner again.
      assert.equal((await call('delete', memberPath(candidate.id), ownerAuth)).status, 204);
    });

    it('PATCH changes a role: 200 with the membership', async () => {
      const res = await call('patch', memberPath(newcomer.id), admin.basic, { role: 'viewer' });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.user_id, newcomer.id);
      assert.equal(res.body.username, newcomer.username);
      assert.equal(res.body.role, 'viewer');
      assert.equal(await roleOf(ws, ownerAuth, newcomer.id), 'viewer');
    });

    it('PATCH/DELETE of a user who is not a member → 404 not_found', async () => {
      const outsider = await createUser(t);
      assertError(
        await call('patch', memberPath(outsider.id), ownerAuth, { role: 'admin' }),
        404,
        'not_found',
      );
      assertError(await call('delete', memberPath(outsider.id), ownerAuth), 404, 'not_found');
      assertError(
        await call('patch', memberPath('not-a-uuid'), ownerAuth, { role: 'admin' }),
        404,
        'not_found',
      );
    });

    it('PATCH with an unknown or null role → 400 validation_failed', async () => {
      for (const role of ['god', null]) {
        const res = await call('patch', memberPath(member.id), ownerAuth, { role });
        assertError(res, 400, 'validation_failed');
      }
      assert.equal(await roleOf(ws, ownerAuth, member.id), 'member');
    });

    it('the last owner can be neither demoted nor removed (409 conflict)', async () => {
      const demote = await call('patch', memberPath(owner.id), ownerAuth, { role: 'admin' });
      assertError(demote, 409, 'conflict');
      const remove = await call('delete', memberPath(owner.id), ownerAuth);
      assertError(remove, 409, 'conflict');
      assert.equal(await roleOf(ws, ownerAuth, owner.id), 'owner');
    });

    it('with a second owner, the first may step down', async () => {
      const ws2 = await createWorkspace(t, owner);
      const second = await createUser(t);
      await addMember(t, ws2, owner, second, 'owner');
      const res = await call(
        'patch',
        `/api/v1/workspaces/${ws2.id}/members/${owner.id}`,
        owner.basic,
        { role: 'admin' },
      );
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.role, 'admin');
      // Now `second` is the last owner and stays.
      assertError(
        await call('delete', `/api/v1/workspaces/${ws2.id}/members/${second.id}`, owner.basic),
        403,
        'forbidden',
      );
      assertError(
        await call('delete', `/api/v1/workspaces/${ws2.id}/members/${second.id}`, second.basic),
        409,
        'conflict',
      );
    });

    it('two owners demoting each other at once: exactly one wins, one owner remains', async () => {
      const ws3 = await createWorkspace(t, owner);
      const other = await createUser(t);
      await addMember(t, ws3, owner, other, 'owner');
      const mine = await createToken(t, owner, ws3);
      const theirs = await createToken(t, other, ws3);
      const path = `/api/v1/workspaces/${ws3.id}/members`;
      const results = await Promise.all([
        call('patch', `${path}/${other.id}`, mine.bearer, { role: 'admin' }),
        call('patch', `${path}/${owner.id}`, theirs.bearer, { role: 'admin' }),
      ]);
      const won = results.filter((r) => r.status === 200);
      const lost = results.filter((r) => r.status !== 200);
      assert.equal(won.length, 1, JSON.stringify(results.map((r) => r.body as unknown)));
      // The loser is refused either as the last owner's remover (409) or, if the winner
      // committed before its request was authorized, as a mere admin touching an owner (403).
      if (lost[0].status === 409) {
        assertError(lost[0], 409, 'conflict');
      } else {
        assertError(lost[0], 403, 'forbidden');
      }
      const members = await call('get', path, mine.bearer);
      const owners = (members.body.data as Array<{ role: string }>).filter(
        (m) => m.role === 'owner',
      );
      assert.equal(owners.length, 1);
    });

    it('adding the same user twice at once: one 201, one 409', async () => {
      const twice = await createUser(t);
      const results = await Promise.all(
        [0, 1].map(() =>
          call('post', membersPath(), ownerAuth, { user_id: twice.id, role: 'member' }),
        ),
      );
      assert.deepEqual(
        results.map((r) => r.status).sort(),
        [201, 409],
        JSON.stringify(results.map((r) => r.body as unknown)),
      );
      assertError(results.find((r) => r.status === 409) as request.Response, 409, 'conflict');
      assert.equal(await roleOf(ws, ownerAuth, twice.id), 'member');
    });

    it('removing a member revokes their tokens in that workspace only (401 token_revoked)', async () => {
      const leaver = await createUser(t);
      const elsewhere = await createWorkspace(t, leaver);
      await addMember(t, ws, owner, leaver, 'member');
      const token = await createToken(t, leaver, ws);
      const otherToken = await createToken(t, leaver, elsewhere);
      const before = await call('get', '/api/v1/projects', token.bearer, undefined, ws.id);
      assert.equal(before.status, 200, JSON.stringify(before.body));

      const res = await call('delete', memberPath(leaver.id), admin.basic);
      assert.equal(res.status, 204);
      assert.equal(res.text, '');

      assertError(
        await call('get', '/api/v1/projects', token.bearer, undefined, ws.id),
        401,
        'token_revoked',
      );
      assertError(await call('get', '/api/v1/me', token.bearer), 401, 'token_revoked');
      const stillOk = await call(
        'get',
        '/api/v1/projects',
        otherToken.bearer,
        undefined,
        elsewhere.id,
      );
      assert.equal(stillOk.status, 200);
      assert.equal(await roleOf(ws, ownerAuth, leaver.id), null);
      assertError(await call('get', `/api/v1/workspaces/${ws.id}`, leaver.basic), 404, 'not_found');

      // Coming back does not revive the old token.
      await addMember(t, ws, owner, leaver, 'member');
      assertError(
        await call('get', '/api/v1/projects', token.bearer, undefined, ws.id),
        401,
        'token_revoked',
      );
    });

    it('a member may not be removed by a token without the delete scope', async () => {
      const target = await createUser(t);
      await addMember(t, ws, owner, target, 'viewer');
      const token = await createToken(t, admin, ws, { scopes: ['read', 'write'] });
      const res = await call('delete', memberPath(target.id), token.bearer);
      assertError(res, 403, 'insufficient_scope');
      assert.match(String(res.headers['www-authenticate']), /scope="delete"/);
      assert.equal(await roleOf(ws, ownerAuth, target.id), 'viewer');
    });

    it('demoting a member to viewer keeps their token but refuses it (403 forbidden)', async () => {
      const demoted = await createUser(t);
      await addMember(t, ws, owner, demoted, 'member');
      const token = await createToken(t, demoted, ws);
      const res = await call('patch', memberPath(demoted.id), ownerAuth, { role: 'viewer' });
      assert.equal(res.status, 200);
      assertError(
        await call('get', '/api/v1/projects', token.bearer, undefined, ws.id),
        403,
        'forbidden',
      );
      assertError(await call('get', `/api/v1/workspaces/${ws.id}`, token.bearer), 403, 'forbidden');
      // Promoted back, the same token works again: it was never revoked.
      await call('patch', memberPath(demoted.id), ownerAuth, { role: 'member' });
      const ok = await call('get', '/api/v1/projects', token.bearer, undefined, ws.id);
      assert.equal(ok.status, 200);
    });
  });
});
