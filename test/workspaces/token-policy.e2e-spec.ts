import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { adminAuditEvents, adminUser, patchSettings } from '../credentials/credential-helpers';
import {
  addMember,
  assertError,
  createToken,
  createUser,
  createWorkspace,
  TestToken,
  TestUser,
  TestWorkspace,
} from '../support/factories';
import { basicAuth, startTestApp, TestApp } from '../support/test-app';

const DAY_MS = 86_400_000;
const DEFAULT_POLICY = {
  max_lifetime_days: null,
  allowed_scopes: ['read', 'write', 'delete', 'admin'],
  require_allowed_cidrs: false,
  idle_revoke_days: null,
};

describe('Workspace token policy (SPEC §11.3)', () => {
  let t: TestApp;
  let owner: TestUser;
  let admin: TestUser; // the workspace role admin, not an instance admin
  let member: TestUser;
  let viewer: TestUser;
  let ws: TestWorkspace;

  const policyPath = (workspace: TestWorkspace = ws) =>
    `/api/v1/workspaces/${workspace.id}/token-policy`;
  const getPolicy = (auth: string, workspace: TestWorkspace = ws) =>
    t.http().get(policyPath(workspace)).set('Authorization', auth);
  const patchPolicy = (auth: string, body: object, workspace: TestWorkspace = ws) =>
    t.http().patch(policyPath(workspace)).set('Authorization', auth).send(body);
  /** Sets the policy as the owner and checks the answer. */
  const setPolicy = async (body: object, workspace: TestWorkspace = ws) => {
    const res = await patchPolicy(owner.basic, body, workspace);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res;
  };
  const inWs = (req: request.Test, workspace: TestWorkspace = ws) =>
    req.set('X-Workspace-Id', workspace.id);
  const projects = (token: TestToken) =>
    inWs(t.http().get('/api/v1/projects').set('Authorization', token.bearer));
  const me = (token: TestToken) => t.http().get('/api/v1/me').set('Authorization', token.bearer);
  const ownerTokens = (query: Record<string, string> = {}) =>
    inWs(
      t
        .http()
        .get('/api/v1/tokens')
        .query({ all: 'true', state: 'all', limit: '100', ...query })
        .set('Authorization', owner.basic),
    );
  const compliance = async (tokenId: string): Promise<boolean> => {
    const res = await ownerTokens();
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const found = (res.body.data as Array<{ id: string; policy_compliant: boolean }>).find(
      (x) => x.id === tokenId,
    );
    assert.ok(found, `token ${tokenId} listed`);
    return found.policy_compliant;
  };
  const createVia = (auth: string, body: object, workspace: TestWorkspace = ws) =>
    inWs(t.http().post('/api/v1/tokens').set('Authorization', auth), workspace).send(body);
  const rotate = (tokenId: string, body: object) =>
    inWs(t.http().post(`/api/v1/tokens/${tokenId}/rotate`).set('Authorization', owner.basic)).send(
      body,
    );

  /** A 400 or 403 policy_violation whose message names `rule` and details name `field`. */
  const assertViolation = (
    res: request.Response,
    status: 400 | 403,
    rule: string,
    field: string,
  ): void => {
    assertError(res, status, 'policy_violation');
    assert.match(res.body.message as string, new RegExp(`\\(${rule}\\)`));
    assert.deepEqual(res.body.details, [{ field, message: res.body.message }]);
  };

  before(async () => {
    t = await startTestApp();
    owner = await createUser(t);
    admin = await createUser(t);
    member = await createUser(t);
    viewer = await createUser(t);
    // Enterprise: no token limit, so the specs below never run into it by accident.
    ws = await createWorkspace(t, owner, { plan: 'enterprise' });
    await addMember(t, ws, owner, admin, 'admin');
    await addMember(t, ws, owner, member, 'member');
    await addMember(t, ws, owner, viewer, 'viewer');
  });
  after(() => t.close());

  describe('GET /api/v1/workspaces/:id/token-policy', () => {
    it('returns the default policy to every member, the viewer included', async () => {
      for (const user of [owner, admin, member, viewer]) {
        const res = await getPolicy(user.basic);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.deepEqual(res.body, DEFAULT_POLICY);
      }
    });

    it('answers a member’s read token too', async () => {
      const token = await createToken(t, member, ws, { scopes: ['read'] });
      const res = await getPolicy(token.bearer);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(res.body, DEFAULT_POLICY);
    });

    it('returns 404 not_found for a workspace the caller is not a member of', async () => {
      const stranger = await createUser(t);
      assertError(await getPolicy(stranger.basic), 404, 'not_found');
    });

    it('returns 401 missing_credentials without credentials', async () => {
      assertError(await t.http().get(policyPath()), 401, 'missing_credentials');
    });
  });

  describe('PATCH /api/v1/workspaces/:id/token-policy', () => {
    it('lets the owner and an admin change it; only the fields sent change', async () => {
      const first = await patchPolicy(owner.basic, { max_lifetime_days: 90 });
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.deepEqual(first.body, { ...DEFAULT_POLICY, max_lifetime_days: 90 });
      const second = await patchPolicy(admin.basic, {
        allowed_scopes: ['write', 'read'],
        idle_revoke_days: 30,
      });
      assert.equal(second.status, 200, JSON.stringify(second.body));
      const expected = {
        max_lifetime_days: 90,
        allowed_scopes: ['read', 'write'],
        require_allowed_cidrs: false,
        idle_revoke_days: 30,
      };
      assert.deepEqual(second.body, expected);
      assert.deepEqual((await getPolicy(viewer.basic)).body, expected);
      // null puts the instance maximum and "never" back.
      const reset = await setPolicy({
        max_lifetime_days: null,
        idle_revoke_days: null,
        allowed_scopes: ['read', 'write', 'delete', 'admin'],
      });
      assert.deepEqual(reset.body, DEFAULT_POLICY);
    });

    it('returns 403 forbidden to a member and a viewer, and changes nothing', async () => {
      for (const user of [member, viewer]) {
        const res = await patchPolicy(user.basic, { max_lifetime_days: 1 });
        assertError(res, 403, 'forbidden');
      }
      const token = await createToken(t, member, ws, { scopes: ['read', 'write'] });
      assertError(await patchPolicy(token.bearer, { max_lifetime_days: 1 }), 403, 'forbidden');
      assert.deepEqual((await getPolicy(owner.basic)).body, DEFAULT_POLICY);
    });

    it('returns 403 insufficient_scope to an owner’s read-only token', async () => {
      const token = await createToken(t, owner, ws, { scopes: ['read'] });
      assertError(
        await patchPolicy(token.bearer, { max_lifetime_days: 1 }),
        403,
        'insufficient_scope',
      );
    });

    const invalid: Array<[string, object, string]> = [
      ['max_lifetime_days 0', { max_lifetime_days: 0 }, 'max_lifetime_days'],
      ['max_lifetime_days 366', { max_lifetime_days: 366 }, 'max_lifetime_days'],
      ['max_lifetime_days 1.5', { max_lifetime_days: 1.5 }, 'max_lifetime_days'],
      ['max_lifetime_days "30"', { max_lifetime_days: '30' }, 'max_lifetime_days'],
      ['no allowed scope', { allowed_scopes: [] }, 'allowed_scopes'],
      ['an unknown scope', { allowed_scopes: ['read', 'root'] }, 'allowed_scopes'],
      ['a repeated scope', { allowed_scopes: ['read', 'read'] }, 'allowed_scopes'],
      ['allowed_scopes as a string', { allowed_scopes: 'read' }, 'allowed_scopes'],
      ['allowed_scopes null', { allowed_scopes: null }, 'allowed_scopes'],
      ['require_allowed_cidrs "yes"', { require_allowed_cidrs: 'yes' }, 'require_allowed_cidrs'],
      ['require_allowed_cidrs null', { require_allowed_cidrs: null }, 'require_allowed_cidrs'],
      ['idle_revoke_days 6', { idle_revoke_days: 6 }, 'idle_revoke_days'],
      ['idle_revoke_days 366', { idle_revoke_days: 366 }, 'idle_revoke_days'],
      ['an unknown field', { max_scopes: 2 }, 'max_scopes'],
    ];
    for (const [what, body, field] of invalid) {
      it(`returns 400 validation_failed naming ${field} for ${what}`, async () => {
        const res = await patchPolicy(owner.basic, body);
        assertError(res, 400, 'validation_failed');
        const details = res.body.details as Array<{ field: string; message: string }>;
        assert.ok(
          details.some((d) => d.field === field && d.message.length > 0),
          JSON.stringify(details),
        );
      });
    }

    it('refuses a maximum lifetime above the instance maximum', async () => {
      await patchSettings(t, { max_token_lifetime_days: 60 });
      try {
        const res = await patchPolicy(owner.basic, { max_lifetime_days: 61 });
        assertError(res, 400, 'validation_failed');
        assert.deepEqual(
          res.body.details.map((d: { field: string }) => d.field),
          ['max_lifetime_days'],
        );
        assert.match(res.body.details[0].message, /at most 60/);
        const ok = await patchPolicy(owner.basic, { max_lifetime_days: 60 });
        assert.equal(ok.status, 200, JSON.stringify(ok.body));
      } finally {
        await patchSettings(t, { max_token_lifetime_days: 365 });
        await setPolicy({ max_lifetime_days: null });
      }
    });

    it('reads a maximum lifetime above a since-lowered instance maximum as the instance maximum', async () => {
      await setPolicy({ max_lifetime_days: 90 });
      await patchSettings(t, { max_token_lifetime_days: 30 });
      try {
        // What binds is the lower of the two, on GET and in a PATCH's answer alike.
        const capped = await getPolicy(member.basic);
        assert.equal(capped.status, 200, JSON.stringify(capped.body));
        assert.equal(capped.body.max_lifetime_days, 30);
        const patched = await setPolicy({ require_allowed_cidrs: false });
        assert.equal(patched.body.max_lifetime_days, 30);
        assertError(
          await createVia(member.basic, { name: 'x', scopes: ['read'], expires_in_days: 31 }),
          400,
          'validation_failed',
        );
      } finally {
        await patchSettings(t, { max_token_lifetime_days: 365 });
      }
      // The workspace's own choice is kept: raised again, the instance maximum no longer caps it.
      assert.equal((await getPolicy(member.basic)).body.max_lifetime_days, 90);
      await setPolicy({ max_lifetime_days: null });
    });

    it('is audited as workspace.token_policy_updated with the policy before and after', async () => {
      const other = await createWorkspace(t, owner, { plan: 'pro' });
      await setPolicy({ require_allowed_cidrs: true, allowed_scopes: ['read'] }, other);
      // A request that changes nothing records nothing.
      await setPolicy({ require_allowed_cidrs: true }, other);
      const events = (
        await adminAuditEvents(t, { action: 'workspace.token_policy_updated' })
      ).filter((e) => e.workspace_id === other.id);
      assert.equal(events.length, 1, JSON.stringify(events));
      const [event] = events;
      assert.equal(event.actor_id, owner.id);
      assert.equal(event.target_type, 'workspace');
      assert.equal(event.target_id, other.id);
      assert.deepEqual(event.metadata, {
        before: DEFAULT_POLICY,
        after: { ...DEFAULT_POLICY, allowed_scopes: ['read'], require_allowed_cidrs: true },
      });
      // Members see it in the workspace's own audit log too.
      const own = await inWs(
        t.http().get('/api/v1/audit-events').set('Authorization', owner.basic),
        other,
      );
      assert.equal(own.status, 200, JSON.stringify(own.body));
      assert.ok(
        (own.body.data as Array<{ action: string }>).some(
          (e) => e.action === 'workspace.token_policy_updated',
        ),
      );
    });

    it('works on a plan without API access (it can be set before the upgrade)', async () => {
      const free = await createWorkspace(t, owner, { plan: 'free' });
      const res = await patchPolicy(owner.basic, { max_lifetime_days: 30 }, free);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.max_lifetime_days, 30);
    });
  });

  describe('creating and rotating tokens against the policy (400 policy_violation)', () => {
    let strict: TestWorkspace;

    before(async () => {
      strict = await createWorkspace(t, owner, { plan: 'enterprise' });
      await addMember(t, strict, owner, member, 'member');
      await setPolicy({ max_lifetime_days: 30, allowed_scopes: ['read', 'write'] }, strict);
    });

    it('refuses a scope outside allowed_scopes, naming scopes', async () => {
      const res = await createVia(
        member.basic,
        { name: 'x', scopes: ['read', 'delete'], expires_in_days: 7 },
        strict,
      );
      assertViolation(res, 400, 'allowed_scopes', 'scopes');
      assert.match(res.body.message, /allows only the scopes read, write: leave out delete/);
    });

    it('refuses the admin scope when it is not allowed', async () => {
      const res = await createVia(
        owner.basic,
        { name: 'x', scopes: ['admin'], expires_in_days: 7 },
        strict,
      );
      assertViolation(res, 400, 'allowed_scopes', 'scopes');
    });

    it('refuses expires_in_days past max_lifetime_days, naming expires_in_days', async () => {
      const res = await createVia(
        member.basic,
        { name: 'x', scopes: ['read'], expires_in_days: 31 },
        strict,
      );
      assertViolation(res, 400, 'max_lifetime_days', 'expires_in_days');
      assert.match(res.body.message, /at most 30 days/);
    });

    it('refuses expires_at past max_lifetime_days, naming expires_at', async () => {
      const res = await createVia(
        member.basic,
        {
          name: 'x',
          scopes: ['read'],
          expires_at: new Date(Date.now() + 30 * DAY_MS + 5 * 60_000).toISOString(),
        },
        strict,
      );
      assertViolation(res, 400, 'max_lifetime_days', 'expires_at');
    });

    it('accepts exactly max_lifetime_days and the allowed scopes', async () => {
      const byDays = await createVia(
        member.basic,
        { name: 'ok', scopes: ['read', 'write'], expires_in_days: 30 },
        strict,
      );
      assert.equal(byDays.status, 201, JSON.stringify(byDays.body));
      assert.equal(byDays.body.policy_compliant, true);
      const byDate = await createVia(
        member.basic,
        {
          name: 'ok',
          scopes: ['read'],
          expires_at: new Date(Date.now() + 30 * DAY_MS).toISOString(),
        },
        strict,
      );
      assert.equal(byDate.status, 201, JSON.stringify(byDate.body));
    });

    it('refuses a token without an address allow-list while one is required, naming allowed_cidrs', async () => {
      const cidrs = await createWorkspace(t, owner, { plan: 'enterprise' });
      await setPolicy({ require_allowed_cidrs: true }, cidrs);
      const res = await createVia(
        owner.basic,
        { name: 'x', scopes: ['read'], expires_in_days: 7 },
        cidrs,
      );
      assertViolation(res, 400, 'require_allowed_cidrs', 'allowed_cidrs');
      const fenced = await createVia(
        owner.basic,
        { name: 'x', scopes: ['read'], expires_in_days: 7, allowed_cidrs: ['127.0.0.0/8'] },
        cidrs,
      );
      assert.equal(fenced.status, 201, JSON.stringify(fenced.body));
      assert.equal(fenced.body.policy_compliant, true);
    });

    it('refuses PATCH /api/v1/tokens/:id taking the allow-list the policy requires away', async () => {
      const cidrs = await createWorkspace(t, owner, { plan: 'enterprise' });
      await setPolicy({ require_allowed_cidrs: true }, cidrs);
      const created = await createVia(
        owner.basic,
        { name: 'x', scopes: ['read'], expires_in_days: 7, allowed_cidrs: ['127.0.0.0/8'] },
        cidrs,
      );
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const patch = (body: object) =>
        inWs(
          t.http().patch(`/api/v1/tokens/${created.body.id}`).set('Authorization', owner.basic),
          cidrs,
        ).send(body);
      assertViolation(
        await patch({ allowed_cidrs: null }),
        400,
        'require_allowed_cidrs',
        'allowed_cidrs',
      );
      const narrowed = await patch({ allowed_cidrs: ['127.0.0.1'] });
      assert.equal(narrowed.status, 200, JSON.stringify(narrowed.body));
      assert.equal(narrowed.body.policy_compliant, true);
      // A token already outside the policy can still be renamed (it stays refused in use).
      await setPolicy({ max_lifetime_days: 1 }, cidrs);
      const renamed = await patch({ name: 'renamed' });
      assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
      assert.equal(renamed.body.policy_compliant, false);
    });

    it('applies to a token minting a token as well', async () => {
      const minter = await createToken(t, member, strict, { scopes: ['read', 'write'], days: 30 });
      const res = await createVia(
        minter.bearer,
        { name: 'child', scopes: ['read'], expires_in_days: 20 },
        strict,
      );
      assert.equal(res.status, 201, JSON.stringify(res.body));
      const refused = await createVia(
        minter.bearer,
        { name: 'child', scopes: ['admin'], expires_in_days: 20 },
        strict,
      );
      // The caller's own limits come first: a read+write token cannot mint admin anyway.
      assertError(refused, 403, 'forbidden');
    });

    it('refuses rotating a token whose scopes the tightened policy no longer allows', async () => {
      const place = await createWorkspace(t, owner, { plan: 'enterprise' });
      const token = await createToken(t, owner, place, { scopes: ['read', 'delete'] });
      await setPolicy({ allowed_scopes: ['read'] }, place);
      const res = await inWs(
        t.http().post(`/api/v1/tokens/${token.id}/rotate`).set('Authorization', owner.basic),
        place,
      ).send({});
      assertViolation(res, 400, 'allowed_scopes', 'scopes');
      // Nothing was rotated: the old token is not replaced and works again once loosened.
      await setPolicy({ allowed_scopes: ['read', 'write', 'delete', 'admin'] }, place);
      assert.equal((await me(token)).status, 200);
    });

    it('refuses rotating into a lifetime past the maximum; a shorter expiry is accepted', async () => {
      const token = await createToken(t, owner, ws, { scopes: ['read'], days: 90 });
      await setPolicy({ max_lifetime_days: 30 });
      try {
        assertViolation(await rotate(token.id, {}), 400, 'max_lifetime_days', 'expires_in_days');
        assertViolation(
          await rotate(token.id, { expires_in_days: 60 }),
          400,
          'max_lifetime_days',
          'expires_in_days',
        );
        assertViolation(
          await rotate(token.id, {
            expires_at: new Date(Date.now() + 45 * DAY_MS).toISOString(),
          }),
          400,
          'max_lifetime_days',
          'expires_at',
        );
        const ok = await rotate(token.id, { expires_in_days: 30 });
        assert.equal(ok.status, 201, JSON.stringify(ok.body));
        assert.equal(ok.body.policy_compliant, true);
      } finally {
        await setPolicy({ max_lifetime_days: null });
      }
    });

    it('does not apply to instance tokens (no workspace)', async () => {
      const instanceAdmin = await adminUser(t);
      const token = await createToken(t, instanceAdmin, null, { scopes: ['admin'], days: 365 });
      const self = await t.http().get('/api/v1/tokens/self').set('Authorization', token.bearer);
      assert.equal(self.status, 200, JSON.stringify(self.body));
      assert.equal(self.body.workspace_id, null);
      assert.equal(self.body.policy_compliant, true);
    });
  });

  describe('existing tokens a tightened policy no longer allows (403 policy_violation)', () => {
    it('refuses the token on its next request, on every route and credential form, and accepts it again after loosening', async () => {
      const token = await createToken(t, member, ws, { scopes: ['read', 'write'], days: 30 });
      // Warm every cache the guards read: the change must still apply on the next request.
      assert.equal((await projects(token)).status, 200);
      assert.equal((await me(token)).status, 200);
      assert.equal(await compliance(token.id), true);

      await setPolicy({ allowed_scopes: ['read'] });
      try {
        assertViolation(await projects(token), 403, 'allowed_scopes', 'scopes');
        // Routes without X-Workspace-Id: the token's own workspace decides.
        assertViolation(await me(token), 403, 'allowed_scopes', 'scopes');
        assertViolation(
          await t.http().get('/api/v1/workspaces').set('Authorization', token.bearer),
          403,
          'allowed_scopes',
          'scopes',
        );
        assertViolation(
          await inWs(t.http().get('/api/v1/tokens/self').set('Authorization', token.bearer)),
          403,
          'allowed_scopes',
          'scopes',
        );
        assertViolation(
          await inWs(t.http().get('/api/v1/projects').set('X-API-Key', token.token)),
          403,
          'allowed_scopes',
          'scopes',
        );
        assertViolation(
          await inWs(
            t.http().get('/api/v1/projects').set('Authorization', basicAuth('x', token.token)),
          ),
          403,
          'allowed_scopes',
          'scopes',
        );
        assertViolation(
          await t.http().get('/api/v1/me').query({ key: token.token }),
          403,
          'allowed_scopes',
          'scopes',
        );
        // A read-only request is refused too: the token as a whole no longer complies.
        assert.match(
          (await me(token)).body.message,
          /no longer complies with its workspace’s token policy \(allowed_scopes\), which allows only the scopes read\. Revoke it/,
        );
        assert.equal(await compliance(token.id), false);
        // The member's password still works: the policy is about tokens.
        const password = await t.http().get('/api/v1/me').set('Authorization', member.basic);
        assert.equal(password.status, 200, JSON.stringify(password.body));
      } finally {
        await setPolicy({ allowed_scopes: ['read', 'write', 'delete', 'admin'] });
      }
      assert.equal((await projects(token)).status, 200);
      assert.equal((await me(token)).status, 200);
      assert.equal(await compliance(token.id), true);
    });

    it('refuses a token whose lifetime is past the new maximum (60 s of slack)', async () => {
      const long = await createToken(t, member, ws, { scopes: ['read'], days: 31 });
      const exact = await createToken(t, member, ws, { scopes: ['read'], days: 30 });
      await setPolicy({ max_lifetime_days: 30 });
      try {
        assertViolation(await projects(long), 403, 'max_lifetime_days', 'expires_at');
        assert.equal((await projects(exact)).status, 200);
        assert.equal(await compliance(long.id), false);
        assert.equal(await compliance(exact.id), true);
      } finally {
        await setPolicy({ max_lifetime_days: null });
      }
      assert.equal((await projects(long)).status, 200);
    });

    it('refuses a token without an address allow-list once one is required', async () => {
      const without = await createToken(t, member, ws, { scopes: ['read'] });
      const created = await createVia(member.basic, {
        name: 'fenced',
        scopes: ['read'],
        expires_in_days: 30,
        allowed_cidrs: ['127.0.0.0/8', '::1'],
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const withList: TestToken = {
        id: created.body.id as string,
        token: created.body.token as string,
        bearer: `Bearer ${created.body.token}`,
      };
      await setPolicy({ require_allowed_cidrs: true });
      try {
        assertViolation(await projects(without), 403, 'require_allowed_cidrs', 'allowed_cidrs');
        assert.equal((await projects(withList)).status, 200);
        assert.equal(await compliance(without.id), false);
        assert.equal(await compliance(withList.id), true);
      } finally {
        await setPolicy({ require_allowed_cidrs: false });
      }
    });

    it('still lets the refused token revoke itself (DELETE /api/v1/tokens/:id)', async () => {
      const token = await createToken(t, member, ws, { scopes: ['read', 'delete'] });
      await setPolicy({ allowed_scopes: ['read'] });
      try {
        assertViolation(await projects(token), 403, 'allowed_scopes', 'scopes');
        const res = await inWs(
          t.http().delete(`/api/v1/tokens/${token.id}`).set('Authorization', token.bearer),
        );
        assert.equal(res.status, 204, JSON.stringify(res.body));
      } finally {
        await setPolicy({ allowed_scopes: ['read', 'write', 'delete', 'admin'] });
      }
      assertError(await me(token), 401, 'token_revoked');
    });

    it('lists policy_compliant in GET /tokens, GET /tokens/:id and the admin inventory', async () => {
      const wide = await createToken(t, member, ws, { scopes: ['read', 'write'], name: 'wide' });
      const narrow = await createToken(t, member, ws, { scopes: ['read'], name: 'narrow' });
      await setPolicy({ allowed_scopes: ['read'] });
      try {
        const own = await inWs(t.http().get('/api/v1/tokens').set('Authorization', member.basic));
        assert.equal(own.status, 200, JSON.stringify(own.body));
        const byId = new Map(
          (own.body.data as Array<{ id: string; policy_compliant: boolean }>).map((x) => [
            x.id,
            x.policy_compliant,
          ]),
        );
        assert.equal(byId.get(wide.id), false);
        assert.equal(byId.get(narrow.id), true);
        const one = await inWs(
          t.http().get(`/api/v1/tokens/${wide.id}`).set('Authorization', member.basic),
        );
        assert.equal(one.body.policy_compliant, false);
        const inventory = await t
          .http()
          .get('/api/v1/admin/tokens')
          .query({ user_id: member.id, limit: '100' })
          .set('Authorization', t.adminBasic);
        assert.equal(inventory.status, 200, JSON.stringify(inventory.body));
        const listed = (
          inventory.body.data as Array<{ id: string; policy_compliant: boolean }>
        ).filter((x) => x.id === wide.id || x.id === narrow.id);
        assert.deepEqual(
          listed.map((x) => [x.id === wide.id ? 'wide' : 'narrow', x.policy_compliant]).sort(),
          [
            ['narrow', true],
            ['wide', false],
          ],
        );
      } finally {
        await setPolicy({ allowed_scopes: ['read', 'write', 'delete', 'admin'] });
      }
      assert.equal(await compliance(wide.id), true);
    });

    it('leaves the same user’s tokens of another workspace alone', async () => {
      const other = await createWorkspace(t, member, { plan: 'enterprise' });
      const elsewhere = await createToken(t, member, other, { scopes: ['read', 'write'] });
      await setPolicy({ allowed_scopes: ['read'] });
      try {
        assert.equal((await me(elsewhere)).status, 200);
        assert.equal((await projects(elsewhere)).status, 403, 'workspace_mismatch, as before');
        assert.equal(
          (
            await inWs(
              t.http().get('/api/v1/projects').set('Authorization', elsewhere.bearer),
              other,
            )
          ).status,
          200,
        );
      } finally {
        await setPolicy({ allowed_scopes: ['read', 'write', 'delete', 'admin'] });
      }
    });
  });
});
