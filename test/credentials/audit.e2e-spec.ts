import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  addMember,
  assertError,
  createToken,
  createUser,
  createWorkspace,
  TestUser,
  TestWorkspace,
} from '../support/factories';
import { basicAuth, startTestApp, TestApp } from '../support/test-app';
import {
  adminAuditEvents,
  adminUser,
  AuditEventBody,
  patchSettings,
  restoreDefaultSettings,
  setLegacyPassword,
} from './credential-helpers';

describe('Audit log (SPEC §8)', () => {
  let t: TestApp;
  let admin: TestUser;
  let alice: TestUser;
  let mallory: TestUser;
  let ws: TestWorkspace;
  let otherWs: TestWorkspace;

  before(async () => {
    t = await startTestApp();
    admin = await adminUser(t);
    alice = await createUser(t);
    mallory = await createUser(t);
    // Enterprise: no limit on active tokens, this file creates many.
    ws = await createWorkspace(t, alice, { plan: 'enterprise' });
    otherWs = await createWorkspace(t, mallory);
    await addMember(t, ws, alice, mallory, 'member');
  });
  after(() => t.close());

  async function eventFor(action: string, targetId: string): Promise<AuditEventBody> {
    const events = await adminAuditEvents(t, { action });
    const event = events.find((e) => e.target_id === targetId);
    assert.ok(event, `a ${action} event for ${targetId}: ${JSON.stringify(events)}`);
    return event;
  }

  describe('events written', () => {
    it('token.created names the creator, the workspace and the token, never its secret', async () => {
      const token = await createToken(t, alice, ws, { scopes: ['read'], name: 'audited' });
      const event = await eventFor('token.created', token.id);
      assert.equal(event.actor_id, alice.id);
      assert.equal(event.impersonator_id, null);
      assert.equal(event.workspace_id, ws.id);
      assert.equal(event.target_type, 'api_token');
      assert.equal(event.ip, '127.0.0.1');
      assert.equal(event.metadata?.name, 'audited');
      assert.deepEqual(event.metadata?.scopes, ['read']);
      assert.equal(event.metadata?.token_prefix, token.token.slice(0, 11));
      assert.ok(!JSON.stringify(event).includes(token.token));
    });

    it('token.rotated names the old token and its replacement', async () => {
      const token = await createToken(t, alice, ws, { scopes: ['read'] });
      const res = await t
        .http()
        .post(`/api/v1/tokens/${token.id}/rotate`)
        .set('Authorization', alice.basic)
        .set('X-Workspace-Id', ws.id)
        .send({ grace_seconds: 60 });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      const event = await eventFor('token.rotated', token.id);
      assert.equal(event.actor_id, alice.id);
      assert.equal(event.workspace_id, ws.id);
      assert.equal(event.metadata?.replaced_by, res.body.id);
      assert.equal(event.metadata?.grace_seconds, 60);
      assert.ok(!JSON.stringify(event).includes(res.body.token as string));
      assert.ok(!JSON.stringify(event).includes(token.token));
    });

    it('token.revoked names who revoked whose token', async () => {
      const token = await createToken(t, alice, ws, { scopes: ['read'] });
      const res = await t
        .http()
        .delete(`/api/v1/tokens/${token.id}`)
        .set('Authorization', alice.basic)
        .set('X-Workspace-Id', ws.id);
      assert.equal(res.status, 204);
      const event = await eventFor('token.revoked', token.id);
      assert.equal(event.actor_id, alice.id);
      assert.equal(event.workspace_id, ws.id);
      assert.equal(event.metadata?.owner_id, alice.id);
    });

    it('auth.switch_user names the impersonating admin', async () => {
      const res = await t
        .http()
        .get('/api/v1/me')
        .set('Authorization', t.adminBasic)
        .set('X-Switch-User', alice.username);
      assert.equal(res.status, 200);
      const event = await eventFor('auth.switch_user', alice.id);
      assert.equal(event.impersonator_id, admin.id);
      assert.equal(event.actor_id, alice.id);
    });

    it('settings.updated records the admin and the changed settings', async () => {
      try {
        await patchSettings(t, { max_token_lifetime_days: 200, allow_query_key: false });
        const events = await adminAuditEvents(t, { action: 'settings.updated' });
        const event = events.find((e) => e.metadata?.max_token_lifetime_days === 200);
        assert.ok(event, JSON.stringify(events));
        assert.equal(event.actor_id, admin.id);
        assert.equal(event.target_type, 'settings');
        assert.deepEqual(event.metadata, { max_token_lifetime_days: 200, allow_query_key: false });
      } finally {
        await restoreDefaultSettings(t);
      }
    });

    it('settings.updated lists only the settings that changed; a PATCH that changes nothing records nothing', async () => {
      try {
        await patchSettings(t, { max_token_lifetime_days: 120 });
        const before = await adminAuditEvents(t, { action: 'settings.updated' });
        await patchSettings(t, { max_token_lifetime_days: 120, rest_api_enabled: true });
        assert.equal(
          (await adminAuditEvents(t, { action: 'settings.updated' })).length,
          before.length,
        );
        await patchSettings(t, { max_token_lifetime_days: 120, legacy_auth_enabled: false });
        const [event] = await adminAuditEvents(t, { action: 'settings.updated' });
        assert.deepEqual(event.metadata, { legacy_auth_enabled: false });
      } finally {
        await restoreDefaultSettings(t);
      }
    });

    it('workspace.plan_changed records the new and the previous plan', async () => {
      const res = await t
        .http()
        .patch(`/api/v1/admin/workspaces/${otherWs.id}`)
        .set('Authorization', t.adminBasic)
        .send({ plan: 'team' });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const event = await eventFor('workspace.plan_changed', otherWs.id);
      assert.equal(event.actor_id, admin.id);
      assert.equal(event.workspace_id, otherWs.id);
      assert.equal(event.target_type, 'workspace');
      assert.equal(event.metadata?.plan, 'team');
      assert.equal(event.metadata?.previous_plan, 'pro');
    });

    it('auth.failed records the attempted login of an existing user for a wrong password, never the password', async () => {
      const wrong = 'Wr0ng-password-for-the-audit-test';
      const res = await t
        .http()
        .get('/api/v1/me')
        .set('Authorization', basicAuth(alice.username, wrong))
        .set('User-Agent', 'audit-probe/1.0');
      assertError(res, 401, 'invalid_credentials');
      const ghost = await t
        .http()
        .get('/api/v1/me')
        .set('Authorization', basicAuth('ghost-login', wrong));
      assertError(ghost, 401, 'invalid_credentials');

      const events = await adminAuditEvents(t, { action: 'auth.failed' });
      const forAlice = events.find((e) => e.metadata?.login === alice.username);
      assert.ok(forAlice, JSON.stringify(events));
      assert.equal(forAlice.metadata?.method, 'basic_password');
      assert.equal(forAlice.actor_id, null);
      assert.equal(forAlice.ip, '127.0.0.1');
      assert.equal(forAlice.user_agent, 'audit-probe/1.0');
      // A login that names nobody may be a secret typed into the wrong field: never stored.
      assert.ok(events.some((e) => e.metadata?.login === '[UNKNOWN]'));
      assert.ok(!JSON.stringify(events).includes('ghost-login'));
      for (const event of events) {
        assert.ok(!JSON.stringify(event).includes(wrong), 'the password is never audited');
      }
    });

    it('auth.failed never records a token sent as the Basic user name (Redmine style key:x)', async () => {
      const token = await createToken(t, alice, ws, { scopes: ['read'] });
      // A valid key as the user name authenticates, as in Redmine …
      const ok = await t.http().get('/api/v1/me').set('Authorization', basicAuth(token.token, 'x'));
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.equal(ok.body.auth.method, 'basic_token');
      // … and a mistyped one is refused without landing in the audit log.
      const last = token.token.endsWith('a') ? 'b' : 'a';
      const typo = token.token.slice(0, -1) + last;
      const res = await t.http().get('/api/v1/me').set('Authorization', basicAuth(typo, 'x'));
      assert.equal(res.status, 401, JSON.stringify(res.body));
      assert.ok(!JSON.stringify(res.body).includes(typo));
      const events = await adminAuditEvents(t, {});
      for (const event of events) {
        assert.ok(!JSON.stringify(event).includes(typo.slice(3)), JSON.stringify(event));
        assert.ok(!JSON.stringify(event).includes(token.token.slice(3)), JSON.stringify(event));
      }
    });

    it('auth.failed records a wrong legacy API password as legacy_api_password', async () => {
      const legacy = 'the-real-legacy-password';
      const wrong = 'a-wrong-legacy-password';
      await setLegacyPassword(t, mallory, legacy);
      const res = await t
        .http()
        .get('/api/v1/me')
        .set('X-AUTH-USER', mallory.username)
        .set('X-AUTH-TOKEN', wrong);
      assertError(res, 401, 'invalid_credentials');
      const events = await adminAuditEvents(t, { action: 'auth.failed' });
      const event = events.find((e) => e.metadata?.login === mallory.username);
      assert.ok(event, JSON.stringify(events));
      assert.equal(event.metadata?.method, 'legacy_api_password');
      const text = JSON.stringify(events);
      assert.ok(!text.includes(wrong));
      assert.ok(!text.includes(legacy));
    });
  });

  describe('GET /api/v1/audit-events (workspace)', () => {
    it('shows a workspace owner the events of that workspace only', async () => {
      const inWs = await createToken(t, alice, ws, { scopes: ['read'] });
      const elsewhere = await createToken(t, mallory, otherWs, { scopes: ['read'] });
      const res = await t
        .http()
        .get('/api/v1/audit-events')
        .query({ limit: '100' })
        .set('Authorization', alice.basic)
        .set('X-Workspace-Id', ws.id);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const events = res.body.data as AuditEventBody[];
      assert.ok(
        events.some((e) => e.action === 'token.created' && e.target_id === inWs.id),
        'the owner sees token.created of the workspace',
      );
      assert.ok(events.every((e) => e.workspace_id === ws.id));
      assert.ok(!events.some((e) => e.target_id === elsewhere.id));
      assert.equal(typeof res.body.total_count, 'number');
    });

    it('shows members’ addresses but not the instance admin’s on a plan change', async () => {
      const changed = await t
        .http()
        .patch(`/api/v1/admin/workspaces/${ws.id}`)
        .set('Authorization', t.adminBasic)
        .set('User-Agent', 'admin-console/1.0')
        .send({ billing_status: 'active' });
      assert.equal(changed.status, 200, JSON.stringify(changed.body));
      const res = await t
        .http()
        .get('/api/v1/audit-events')
        .query({ limit: '100' })
        .set('Authorization', alice.basic)
        .set('X-Workspace-Id', ws.id)
        .expect(200);
      const events = res.body.data as AuditEventBody[];
      const planChange = events.find((e) => e.action === 'workspace.plan_changed');
      assert.ok(planChange, 'the owner sees that the plan was changed, and by whom');
      assert.equal(planChange.actor_id, admin.id);
      assert.equal(planChange.ip, null);
      assert.equal(planChange.user_agent, null);
      const own = events.find((e) => e.action === 'token.created' && e.actor_id === alice.id);
      assert.ok(own?.ip, 'a member’s own events keep their address');
      // The instance admin's own view keeps everything.
      const adminView = await eventFor('workspace.plan_changed', ws.id);
      assert.ok(adminView.ip);
      assert.equal(adminView.user_agent, 'admin-console/1.0');
    });

    it('filters by action', async () => {
      const res = await t
        .http()
        .get('/api/v1/audit-events')
        .query({ action: 'token.revoked' })
        .set('Authorization', alice.basic)
        .set('X-Workspace-Id', ws.id);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const events = res.body.data as AuditEventBody[];
      assert.ok(events.length > 0);
      assert.ok(events.every((e) => e.action === 'token.revoked'));
    });

    it('works for the owner with a read token of the workspace', async () => {
      const token = await createToken(t, alice, ws, { scopes: ['read'] });
      const res = await t
        .http()
        .get('/api/v1/audit-events')
        .set('Authorization', token.bearer)
        .set('X-Workspace-Id', ws.id);
      assert.equal(res.status, 200, JSON.stringify(res.body));
    });

    it('returns 403 forbidden to a member of the workspace', async () => {
      const res = await t
        .http()
        .get('/api/v1/audit-events')
        .set('Authorization', mallory.basic)
        .set('X-Workspace-Id', ws.id);
      assertError(res, 403, 'forbidden');
    });

    it('returns 400 workspace_required without X-Workspace-Id', async () => {
      const res = await t.http().get('/api/v1/audit-events').set('Authorization', alice.basic);
      assertError(res, 400, 'workspace_required');
    });
  });

  describe('GET /api/v1/admin/audit-events', () => {
    it('returns 403 forbidden to a user who is not an instance admin', async () => {
      const res = await t
        .http()
        .get('/api/v1/admin/audit-events')
        .set('Authorization', alice.basic);
      assertError(res, 403, 'forbidden');
    });

    it('returns 403 insufficient_scope to a workspace token', async () => {
      const token = await createToken(t, alice, ws, { scopes: ['read'] });
      const res = await t
        .http()
        .get('/api/v1/admin/audit-events')
        .set('Authorization', token.bearer);
      assertError(res, 403, 'insufficient_scope');
    });

    it('returns every workspace’s events to the admin, filtered by workspace_id on request', async () => {
      const all = await t
        .http()
        .get('/api/v1/admin/audit-events')
        .query({ limit: '100' })
        .set('Authorization', t.adminBasic);
      assert.equal(all.status, 200, JSON.stringify(all.body));
      const workspaces = new Set((all.body.data as AuditEventBody[]).map((e) => e.workspace_id));
      assert.ok(workspaces.has(ws.id) && workspaces.has(otherWs.id) && workspaces.has(null));
      const one = await adminAuditEvents(t, { workspace_id: otherWs.id });
      assert.ok(one.length > 0);
      assert.ok(one.every((e) => e.workspace_id === otherWs.id));
    });
  });
});
