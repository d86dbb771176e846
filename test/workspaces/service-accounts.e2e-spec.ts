import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { adminAuditEvents, AuditEventBody } from '../credentials/credential-helpers';
import {
  addMember,
  assertError,
  createToken,
  createUser,
  createWorkspace,
  setPlan,
  TestToken,
  TestUser,
  TestWorkspace,
} from '../support/factories';
import { OAuthBrowser } from '../support/oauth';
import { basicAuth, startTestApp, TestApp } from '../support/test-app';

type Method = 'get' | 'post' | 'patch' | 'delete';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;

interface ServiceAccountBody {
  id: string;
  name: string;
  username: string;
  role: string;
  workspace_id: string;
  active_tokens: number;
  created_at: string;
  created_by: string | null;
}

describe('Service accounts (SPEC §11.5)', () => {
  let t: TestApp;
  let owner: TestUser;
  let admin: TestUser;
  let member: TestUser;
  let viewer: TestUser;
  let ws: TestWorkspace;

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

  const accountsOf = (w: TestWorkspace): string => `/api/v1/workspaces/${w.id}/service-accounts`;

  async function createAccount(
    w: TestWorkspace,
    by: TestUser,
    name: string,
    role: 'member' | 'admin' = 'member',
  ): Promise<ServiceAccountBody> {
    const res = await call('post', accountsOf(w), by.basic, { name, role });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body as ServiceAccountBody;
  }

  async function mint(
    w: TestWorkspace,
    sa: ServiceAccountBody,
    auth: string,
    body: object = { name: 'deploy', scopes: ['read', 'write'], expires_in_days: 30 },
  ): Promise<request.Response> {
    return call('post', `${accountsOf(w)}/${sa.id}/tokens`, auth, body);
  }

  async function mintToken(
    w: TestWorkspace,
    sa: ServiceAccountBody,
    by: TestUser,
    scopes = ['read', 'write', 'delete'],
  ): Promise<TestToken> {
    const res = await mint(w, sa, by.basic, { name: 'deploy', scopes, expires_in_days: 30 });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return { id: res.body.id, token: res.body.token, bearer: `Bearer ${res.body.token as string}` };
  }

  async function auditOf(
    w: TestWorkspace,
    query: Record<string, string>,
  ): Promise<AuditEventBody[]> {
    const res = await call('get', '/api/v1/audit-events', owner.basic, undefined, w.id).query({
      limit: '100',
      ...query,
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.data as AuditEventBody[];
  }

  before(async () => {
    t = await startTestApp();
    owner = await createUser(t);
    admin = await createUser(t);
    member = await createUser(t);
    viewer = await createUser(t);
    ws = await createWorkspace(t, owner, { plan: 'enterprise' });
    await addMember(t, ws, owner, admin, 'admin');
    await addMember(t, ws, owner, member, 'member');
    await addMember(t, ws, owner, viewer, 'viewer');
  });
  after(() => t.close());

  describe('POST and GET /api/v1/workspaces/:id/service-accounts', () => {
    it('lets the owner create one: 201 with its fields, a generated login and no seat', async () => {
      const res = await call('post', accountsOf(ws), owner.basic, {
        name: '  CI deploy bot  ',
        role: 'member',
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.deepEqual(Object.keys(res.body).sort(), [
        'active_tokens',
        'created_at',
        'created_by',
        'id',
        'name',
        'role',
        'username',
        'workspace_id',
      ]);
      assert.match(res.body.id, UUID_RE);
      assert.equal(res.body.name, 'CI deploy bot');
      assert.match(res.body.username, /^sa-[0-9a-f]{12}$/);
      assert.equal(res.body.role, 'member');
      assert.equal(res.body.workspace_id, ws.id);
      assert.equal(res.body.active_tokens, 0);
      assert.match(res.body.created_at, ISO_RE);
      assert.equal(res.body.created_by, owner.id);

      const members = await call(
        'get',
        `/api/v1/workspaces/${ws.id}/members?limit=100`,
        owner.basic,
      );
      const row = (
        members.body.data as Array<{ user_id: string; type: string; role: string }>
      ).find((m) => m.user_id === res.body.id);
      assert.deepEqual(row && { type: row.type, role: row.role }, {
        type: 'service_account',
        role: 'member',
      });
    });

    it('lets an admin create one with the admin role', async () => {
      const sa = await createAccount(ws, admin, 'Ops bot', 'admin');
      assert.equal(sa.role, 'admin');
      assert.equal(sa.created_by, admin.id);
    });

    it('refuses members and viewers with 403 forbidden, and no credentials with 401', async () => {
      for (const who of [member, viewer]) {
        assertError(
          await call('post', accountsOf(ws), who.basic, { name: 'x', role: 'member' }),
          403,
          'forbidden',
        );
        assertError(await call('get', accountsOf(ws), who.basic), 403, 'forbidden');
      }
      assertError(
        await call('post', accountsOf(ws), null, { name: 'x', role: 'member' }),
        401,
        'missing_credentials',
      );
    });

    it('refuses the owner and viewer roles and a blank name with 400 validation_failed', async () => {
      for (const body of [
        { name: 'x', role: 'owner' },
        { name: 'x', role: 'viewer' },
        { name: '   ', role: 'member' },
        { role: 'member' },
      ]) {
        const res = await call('post', accountsOf(ws), owner.basic, body);
        assertError(res, 400, 'validation_failed');
        assert.ok(Array.isArray(res.body.details), JSON.stringify(res.body));
      }
    });

    it('lists the workspace’s service accounts in the list shape, oldest first', async () => {
      const res = await call('get', `${accountsOf(ws)}?limit=100`, admin.basic);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(Object.keys(res.body).sort(), ['data', 'limit', 'offset', 'total_count']);
      const names = (res.body.data as ServiceAccountBody[]).map((a) => a.name);
      assert.deepEqual(names.slice(0, 2), ['CI deploy bot', 'Ops bot']);
      assert.equal(res.body.total_count, res.body.data.length);
      const paged = await call('get', `${accountsOf(ws)}?limit=1&offset=1`, admin.basic);
      assert.deepEqual(
        (paged.body.data as ServiceAccountBody[]).map((a) => a.name),
        ['Ops bot'],
      );
    });
  });

  describe('seats_used', () => {
    it('counts human members only, the creator included', async () => {
      const mine = await createWorkspace(t, owner, { plan: 'pro' });
      await addMember(t, mine, owner, member, 'member');
      await createAccount(mine, owner, 'bot one');
      await createAccount(mine, owner, 'bot two', 'admin');
      const got = await call('get', `/api/v1/workspaces/${mine.id}`, owner.basic);
      assert.equal(got.status, 200);
      assert.equal(got.body.seats_used, 2);
      const listed = await call('get', '/api/v1/workspaces?limit=100', owner.basic);
      const row = (listed.body.data as Array<{ id: string; seats_used: number }>).find(
        (w) => w.id === mine.id,
      );
      assert.equal(row?.seats_used, 2);
      const adminList = await call('get', '/api/v1/admin/workspaces?limit=100', t.adminBasic);
      const adminRow = (adminList.body.data as Array<{ id: string; seats_used: number }>).find(
        (w) => w.id === mine.id,
      );
      assert.equal(adminRow?.seats_used, 2);
    });
  });

  describe('tokens of a service account', () => {
    let sa: ServiceAccountBody;
    let saToken: TestToken;

    before(async () => {
      sa = await createAccount(ws, owner, 'Token bot');
    });

    it('mints one (201 with the secret) that authenticates as the service account', async () => {
      const res = await mint(ws, sa, owner.basic);
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.user_id, sa.id);
      assert.equal(res.body.workspace_id, ws.id);
      assert.deepEqual(res.body.scopes, ['read', 'write']);
      assert.equal(typeof res.body.token, 'string');
      saToken = { id: res.body.id, token: res.body.token, bearer: `Bearer ${res.body.token}` };

      const me = await call('get', '/api/v1/me', saToken.bearer);
      assert.equal(me.status, 200, JSON.stringify(me.body));
      assert.equal(me.body.type, 'service_account');
      assert.equal(me.body.id, sa.id);
      assert.equal(me.body.username, sa.username);
      assert.equal(me.body.auth.token_id, saToken.id);
      assert.equal(me.body.auth.workspace_id, ws.id);
      assert.deepEqual(
        (me.body.workspaces as Array<{ id: string; role: string }>).map((w) => [w.id, w.role]),
        [[ws.id, 'member']],
      );
      const human = await call('get', '/api/v1/me', owner.basic);
      assert.equal(human.body.type, 'user');

      // It works like a member's token: reads and writes in its workspace.
      const project = await call('get', '/api/v1/projects', saToken.bearer, undefined, ws.id);
      assert.equal(project.status, 200, JSON.stringify(project.body));
      const listed = await call('get', accountsOf(ws), owner.basic);
      const row = (listed.body.data as ServiceAccountBody[]).find((a) => a.id === sa.id);
      assert.equal(row?.active_tokens, 1);
    });

    it('refuses members with 403 forbidden and another workspace’s service account with 404', async () => {
      assertError(await mint(ws, sa, member.basic), 403, 'forbidden');
      const other = await createWorkspace(t, owner, { plan: 'pro' });
      assertError(await mint(other, sa, owner.basic), 404, 'not_found');
      assertError(await mint(ws, { ...sa, id: randomUUID() }, owner.basic), 404, 'not_found');
    });

    it('applies the minting rules to the caller: scopes and expiry at most the caller’s token’s', async () => {
      const narrow = await createToken(t, owner, ws, { scopes: ['read', 'write'], days: 10 });
      const wider = await mint(ws, sa, narrow.bearer, {
        name: 'wider',
        scopes: ['read', 'delete'],
        expires_in_days: 5,
      });
      assertError(wider, 403, 'forbidden');
      assert.match(wider.body.message, /scopes/);
      const longer = await mint(ws, sa, narrow.bearer, {
        name: 'longer',
        scopes: ['read'],
        expires_in_days: 30,
      });
      assertError(longer, 403, 'forbidden');
      assert.match(longer.body.message, /expire/);
      const fits = await mint(ws, sa, narrow.bearer, {
        name: 'fits',
        scopes: ['read'],
        expires_in_days: 5,
      });
      assert.equal(fits.status, 201, JSON.stringify(fits.body));
      assert.equal(fits.body.user_id, sa.id);
      const body = { name: 'x', scopes: ['read'], expires_in_days: 5 };
      assertError(
        await mint(ws, sa, owner.basic, { ...body, scopes: [] }),
        400,
        'validation_failed',
      );
    });

    it('lets the service account use the token routes for its own tokens', async () => {
      const own = await call(
        'post',
        '/api/v1/tokens',
        saToken.bearer,
        { name: 'made by the bot', scopes: ['read'], expires_in_days: 7 },
        ws.id,
      );
      assert.equal(own.status, 201, JSON.stringify(own.body));
      assert.equal(own.body.user_id, sa.id);
      const self = await call('get', '/api/v1/tokens/self', saToken.bearer, undefined, ws.id);
      assert.equal(self.body.id, saToken.id);
      const mine = await call('get', '/api/v1/tokens', saToken.bearer, undefined, ws.id);
      assert.deepEqual(
        (mine.body.data as Array<{ user_id: string }>).map((x) => x.user_id),
        (mine.body.data as unknown[]).map(() => sa.id),
      );
      assertError(
        await call('get', '/api/v1/tokens?all=true', saToken.bearer, undefined, ws.id),
        403,
        'forbidden',
      );
      // Bound to its workspace.
      const other = await createWorkspace(t, owner, { plan: 'pro' });
      assertError(
        await call('get', '/api/v1/projects', saToken.bearer, undefined, other.id),
        403,
        'workspace_mismatch',
      );
    });

    it('shows its tokens to managers (all=true), who can rotate and revoke them', async () => {
      const extra = await mintToken(ws, sa, owner);
      const all = await call(
        'get',
        '/api/v1/tokens?all=true&limit=100',
        admin.basic,
        undefined,
        ws.id,
      );
      assert.equal(all.status, 200);
      const ids = (all.body.data as Array<{ id: string; user_id: string }>)
        .filter((x) => x.user_id === sa.id)
        .map((x) => x.id);
      assert.ok(ids.includes(extra.id) && ids.includes(saToken.id), JSON.stringify(ids));
      assertError(
        await call('get', '/api/v1/tokens?all=true', member.basic, undefined, ws.id),
        403,
        'forbidden',
      );

      const rotated = await call(
        'post',
        `/api/v1/tokens/${extra.id}/rotate`,
        admin.basic,
        { grace_seconds: 0 },
        ws.id,
      );
      assert.equal(rotated.status, 201, JSON.stringify(rotated.body));
      assert.equal(rotated.body.user_id, sa.id);
      assertError(await call('get', '/api/v1/me', extra.bearer), 401, 'token_revoked');
      const fresh = `Bearer ${rotated.body.token as string}`;
      assert.equal((await call('get', '/api/v1/me', fresh)).body.type, 'service_account');

      const revoked = await call(
        'delete',
        `/api/v1/tokens/${rotated.body.id as string}`,
        admin.basic,
        undefined,
        ws.id,
      );
      assert.equal(revoked.status, 204);
      assertError(await call('get', '/api/v1/me', fresh), 401, 'token_revoked');
      // A person's token stays theirs to rotate: a manager gets 404.
      const alices = await createToken(t, member, ws, { scopes: ['read'] });
      assertError(
        await call('post', `/api/v1/tokens/${alices.id}/rotate`, owner.basic, {}, ws.id),
        404,
        'not_found',
      );
    });

    it('names the actor’s type in audit events', async () => {
      const events = await auditOf(ws, { action: 'token.created', actor_id: sa.id });
      assert.ok(events.length >= 1, JSON.stringify(events));
      assert.ok(events.every((e) => e.actor_type === 'service_account'));
      const minted = await auditOf(ws, { action: 'token.created', actor_id: owner.id });
      const forSa = minted.find((e) => e.metadata?.owner_id === sa.id);
      assert.equal(forSa?.actor_type, 'user');
      const created = await adminAuditEvents(t, { action: 'service_account.created' });
      const mine = created.find((e) => e.target_id === sa.id) as
        (AuditEventBody & { actor_type: string }) | undefined;
      assert.equal(mine?.actor_type, 'user');
      assert.equal(mine?.metadata?.name, 'Token bot');
    });
  });

  describe('the workspace’s token policy (SPEC §11.3)', () => {
    it('applies to a service account’s new tokens like to anyone’s', async () => {
      const strict = await createWorkspace(t, owner, { plan: 'team' });
      const patched = await call(
        'patch',
        `/api/v1/workspaces/${strict.id}/token-policy`,
        owner.basic,
        { allowed_scopes: ['read'], max_lifetime_days: 7 },
      );
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      const bot = await createAccount(strict, owner, 'Policy bot');
      const wide = await mint(strict, bot, owner.basic, {
        name: 'wide',
        scopes: ['read', 'write'],
        expires_in_days: 7,
      });
      assertError(wide, 400, 'policy_violation');
      assert.equal(wide.body.details[0].field, 'scopes');
      const long = await mint(strict, bot, owner.basic, {
        name: 'long',
        scopes: ['read'],
        expires_in_days: 30,
      });
      assertError(long, 400, 'policy_violation');
      const fits = await mint(strict, bot, owner.basic, {
        name: 'fits',
        scopes: ['read'],
        expires_in_days: 7,
      });
      assert.equal(fits.status, 201, JSON.stringify(fits.body));
      assert.equal(fits.body.policy_compliant, true);
    });
  });

  describe('the plan’s token limit', () => {
    it('counts a service account’s tokens; parallel creations never exceed it', async () => {
      const pro = await createWorkspace(t, owner, { plan: 'pro' }); // 5 active tokens
      const bot = await createAccount(pro, owner, 'Limit bot');
      await createToken(t, owner, pro, { scopes: ['read'] });
      const attempts = await Promise.all(
        Array.from({ length: 16 }, (_, i) =>
          i % 2 === 0
            ? mint(pro, bot, owner.basic, { name: `sa ${i}`, scopes: ['read'], expires_in_days: 3 })
            : call(
                'post',
                '/api/v1/tokens',
                owner.basic,
                { name: `own ${i}`, scopes: ['read'], expires_in_days: 3 },
                pro.id,
              ),
        ),
      );
      let created = 0;
      for (const res of attempts) {
        if (res.status === 201) {
          created++;
        } else {
          assertError(res, 409, 'token_limit_reached');
        }
      }
      assert.equal(created, 4);
      const active = await call(
        'get',
        '/api/v1/tokens?all=true&state=active',
        owner.basic,
        undefined,
        pro.id,
      );
      assert.equal(active.body.total_count, 5);
      assertError(await mint(pro, bot, owner.basic), 409, 'token_limit_reached');
    });
  });

  describe('plans and billing', () => {
    it('creates and deletes on a plan without API access, but mints no token there', async () => {
      const free = await createWorkspace(t, owner, { plan: 'free' });
      const bot = await createAccount(free, owner, 'Free bot');
      assertError(await mint(free, bot, owner.basic), 403, 'plan_required');
      const del = await call('delete', `${accountsOf(free)}/${bot.id}`, owner.basic);
      assert.equal(del.status, 204);
    });

    it('while billing is read-only: no creation or token (402), deleting still works', async () => {
      const frozen = await createWorkspace(t, owner, { plan: 'team' });
      const bot = await createAccount(frozen, owner, 'Frozen bot');
      const token = await mintToken(frozen, bot, owner);
      await setPlan(t, frozen.id, { billing_status: 'read_only' });
      assertError(
        await call('post', accountsOf(frozen), owner.basic, { name: 'x', role: 'member' }),
        402,
        'workspace_read_only',
      );
      assertError(await mint(frozen, bot, owner.basic), 402, 'workspace_read_only');
      const list = await call('get', accountsOf(frozen), owner.basic);
      assert.equal(list.status, 200);
      const del = await call('delete', `${accountsOf(frozen)}/${bot.id}`, owner.basic);
      assert.equal(del.status, 204);
      assertError(await call('get', '/api/v1/me', token.bearer), 401, 'token_revoked');
    });
  });

  describe('DELETE /api/v1/workspaces/:id/service-accounts/:saId', () => {
    it('revokes its tokens (service_account_deleted), removes it and keeps it out for good', async () => {
      const bot = await createAccount(ws, owner, 'Doomed bot', 'admin');
      const first = await mintToken(ws, bot, owner);
      const second = await mintToken(ws, bot, owner, ['read']);
      assert.equal((await call('get', '/api/v1/me', first.bearer)).status, 200);
      // An event by the service account itself, before it goes: a token it makes.
      const made = await call(
        'post',
        '/api/v1/tokens',
        first.bearer,
        { name: 'made by the bot', scopes: ['read'], expires_in_days: 7 },
        ws.id,
      );
      assert.equal(made.status, 201, JSON.stringify(made.body));

      assertError(
        await call('delete', `${accountsOf(ws)}/${bot.id}`, member.basic),
        403,
        'forbidden',
      );
      const del = await call('delete', `${accountsOf(ws)}/${bot.id}`, admin.basic);
      assert.equal(del.status, 204, JSON.stringify(del.body));

      for (const token of [first, second]) {
        const refused = await call('get', '/api/v1/me', token.bearer);
        assertError(refused, 401, 'token_revoked');
        assert.match(refused.body.message, /service account was deleted/);
        const shown = await call(
          'get',
          `/api/v1/tokens/${token.id}`,
          owner.basic,
          undefined,
          ws.id,
        );
        assert.equal(shown.status, 200, JSON.stringify(shown.body));
        assert.equal(shown.body.state, 'revoked');
        assert.equal(shown.body.revoked_reason, 'service_account_deleted');
      }
      // The lifecycle outbox (SPEC §11.4) announces each revocation, with the reason.
      const outbox: Array<{ type: string; data: string }> = await t.dataSource.query(
        "SELECT type, data FROM lifecycle_events WHERE type = 'token.revoked'",
      );
      const reasons = new Map(
        outbox
          .map(
            (e) => (JSON.parse(e.data) as { token: { id: string; revoked_reason: string } }).token,
          )
          .map((token) => [token.id, token.revoked_reason]),
      );
      for (const token of [first, second]) {
        assert.equal(reasons.get(token.id), 'service_account_deleted');
      }
      const list = await call('get', `${accountsOf(ws)}?limit=100`, owner.basic);
      assert.ok(!(list.body.data as ServiceAccountBody[]).some((a) => a.id === bot.id));
      const members = await call(
        'get',
        `/api/v1/workspaces/${ws.id}/members?limit=100`,
        owner.basic,
      );
      assert.ok(
        !(members.body.data as Array<{ user_id: string }>).some((m) => m.user_id === bot.id),
      );

      assertError(
        await call('delete', `${accountsOf(ws)}/${bot.id}`, owner.basic),
        404,
        'not_found',
      );
      assertError(await mint(ws, bot, owner.basic), 404, 'not_found');
      // Back in the workspace through the member routes? No.
      assertError(
        await call('post', `/api/v1/workspaces/${ws.id}/members`, owner.basic, {
          user_id: bot.id,
          role: 'member',
        }),
        400,
        'validation_failed',
      );
      // Unlocked by an instance admin? No.
      assertError(
        await call('patch', `/api/v1/admin/users/${bot.id}`, t.adminBasic, { status: 'active' }),
        409,
        'conflict',
      );

      // Audit: the deletion, and the service account's own earlier events, still say what it is.
      const deleted = await auditOf(ws, { action: 'service_account.deleted' });
      const event = deleted.find((e) => e.target_id === bot.id);
      assert.equal(event?.metadata?.tokens_revoked, 3);
      assert.equal(event?.actor_type, 'user');
      const byBot = await adminAuditEvents(t, { actor_id: bot.id });
      assert.deepEqual(
        byBot.map((e) => [e.action, e.actor_type]),
        [['token.created', 'service_account']],
      );
    });

    it('answers 404 for another workspace’s service account, and for a workspace not yours', async () => {
      const bot = await createAccount(ws, owner, 'Other bot');
      const stranger = await createUser(t);
      const theirs = await createWorkspace(t, stranger, { plan: 'pro' });
      assertError(
        await call('delete', `${accountsOf(theirs)}/${bot.id}`, stranger.basic),
        404,
        'not_found',
      );
      assertError(await mint(theirs, bot, stranger.basic), 404, 'not_found');
      assertError(await call('get', accountsOf(ws), stranger.basic), 404, 'not_found');
      assertError(
        await call('delete', `${accountsOf(ws)}/${bot.id}`, stranger.basic),
        404,
        'not_found',
      );
      // It belongs to one workspace only.
      assertError(
        await call('post', `/api/v1/workspaces/${theirs.id}/members`, stranger.basic, {
          user_id: bot.id,
          role: 'member',
        }),
        400,
        'validation_failed',
      );
      const still = await call('get', accountsOf(ws), owner.basic);
      assert.ok((still.body.data as ServiceAccountBody[]).some((a) => a.id === bot.id));
    });
  });

  describe('the member routes', () => {
    it('change its role between member and admin only, and do not remove it', async () => {
      const bot = await createAccount(ws, owner, 'Role bot');
      const path = `/api/v1/workspaces/${ws.id}/members/${bot.id}`;
      const up = await call('patch', path, admin.basic, { role: 'admin' });
      assert.equal(up.status, 200, JSON.stringify(up.body));
      assert.equal(up.body.role, 'admin');
      assert.equal(up.body.type, 'service_account');
      assertError(
        await call('patch', path, owner.basic, { role: 'viewer' }),
        400,
        'validation_failed',
      );
      assertError(
        await call('patch', path, owner.basic, { role: 'owner' }),
        400,
        'validation_failed',
      );
      const removed = await call('delete', path, owner.basic);
      assertError(removed, 409, 'conflict');
      assert.match(removed.body.message, /service-accounts/);

      // As an admin, its own token manages the workspace's service accounts.
      const token = await mintToken(ws, bot, owner, ['read', 'write', 'delete']);
      const listed = await call('get', accountsOf(ws), token.bearer);
      assert.equal(listed.status, 200, JSON.stringify(listed.body));
    });
  });

  describe('no password, no sign-in', () => {
    let bot: ServiceAccountBody;
    let email: string;

    before(async () => {
      bot = await createAccount(ws, owner, 'Locked-out bot');
      const users = await call(
        'get',
        '/api/v1/admin/users?type=service_account&limit=100',
        t.adminBasic,
      );
      assert.equal(users.status, 200, JSON.stringify(users.body));
      const row = (users.body.data as Array<{ id: string; type: string; email: string }>).find(
        (u) => u.id === bot.id,
      );
      assert.equal(row?.type, 'service_account');
      assert.ok(
        (users.body.data as Array<{ type: string }>).every((u) => u.type === 'service_account'),
      );
      email = row?.email ?? '';
      const people = await call('get', '/api/v1/admin/users?type=user&limit=100', t.adminBasic);
      assert.ok(!(people.body.data as Array<{ id: string }>).some((u) => u.id === bot.id));
    });

    it('refuses every password on HTTP Basic and X-AUTH with 401 invalid_credentials', async () => {
      for (const password of ['', 'x', 'anything-at-all-1234', '!', 'null']) {
        for (const login of [bot.username, email]) {
          const res = await call('get', '/api/v1/me', basicAuth(login, password));
          assertError(res, 401, 'invalid_credentials');
        }
        const legacy = await t
          .http()
          .get('/api/v1/me')
          .set('X-AUTH-USER', bot.username)
          .set('X-AUTH-TOKEN', password || 'x');
        assertError(legacy, 401, 'invalid_credentials');
      }
    });

    it('cannot sign in on /login', async () => {
      const res = await new OAuthBrowser(t).submitLogin({
        username: bot.username,
        password: 'anything-at-all-1234',
      });
      assert.notEqual(res.status, 303);
      assert.equal(res.status, 401);
    });

    it('is no X-Switch-User target: 412 switch_user_invalid', async () => {
      const res = await t
        .http()
        .get('/api/v1/me')
        .set('Authorization', t.adminBasic)
        .set('X-Switch-User', bot.username);
      assertError(res, 412, 'switch_user_invalid');
    });

    it('gets no password, API password, admin rights, reset link or 2FA reset from an admin', async () => {
      const user = `/api/v1/admin/users/${bot.id}`;
      for (const [body, field] of [
        [{ password: 'a-long-enough-password-123' }, 'password'],
        [{ legacy_api_password: 'legacy-password-1' }, 'legacy_api_password'],
        [{ is_admin: true }, 'is_admin'],
      ] as const) {
        const res = await call('patch', user, t.adminBasic, body);
        assertError(res, 400, 'validation_failed');
        assert.equal(res.body.details[0].field, field);
      }
      assertError(await call('post', `${user}/password-reset`, t.adminBasic), 409, 'conflict');
      assertError(await call('delete', `${user}/two-factor`, t.adminBasic), 409, 'conflict');
      // Locking and unlocking one that is not deleted is fine.
      const locked = await call('patch', user, t.adminBasic, { status: 'locked' });
      assert.equal(locked.status, 200, JSON.stringify(locked.body));
      assert.equal(locked.body.type, 'service_account');
      const unlocked = await call('patch', user, t.adminBasic, { status: 'active' });
      assert.equal(unlocked.status, 200, JSON.stringify(unlocked.body));
      // Still no password after all that.
      assertError(
        await call('get', '/api/v1/me', basicAuth(bot.username, 'a-long-enough-password-123')),
        401,
        'invalid_credentials',
      );
    });

    it('uses its token with Basic, X-API-Key and ?key= like any token', async () => {
      const token = await mintToken(ws, bot, owner, ['read', 'write']);
      const viaBasic = await call('get', '/api/v1/me', basicAuth('anyuser', token.token));
      assert.equal(viaBasic.body.type, 'service_account');
      const viaKey = await t.http().get('/api/v1/me').set('X-API-Key', token.token);
      assert.equal(viaKey.body.type, 'service_account');
      // Two-factor management and the password routes need a password: a token gets 403.
      assertError(await call('post', '/api/v1/me/two-factor', token.bearer, {}), 403, 'forbidden');
    });
  });
});
