import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  assertError,
  createToken,
  createUser,
  createWorkspace,
  TestToken,
  TestUser,
  TestWorkspace,
} from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';
import { adminAuditEvents, adminUser } from './credential-helpers';

describe('X-Switch-User (SPEC §4)', () => {
  let t: TestApp;
  let admin: TestUser;
  let adminToken: TestToken;
  let adminPlainToken: TestToken;
  let alice: TestUser;
  let bob: TestUser;
  let aliceWs: TestWorkspace;
  let aliceToken: TestToken;

  before(async () => {
    t = await startTestApp();
    admin = await adminUser(t);
    adminToken = await createToken(t, admin, null, { scopes: ['admin'] });
    adminPlainToken = await createToken(t, admin, null, { scopes: ['read', 'write', 'delete'] });
    alice = await createUser(t);
    bob = await createUser(t);
    aliceWs = await createWorkspace(t, alice);
    aliceToken = await createToken(t, alice, aliceWs, { scopes: ['read'] });
  });
  after(() => t.close());

  const switched = (authorization: string, login: string, header = 'X-Switch-User') =>
    t.http().get('/api/v1/me').set('Authorization', authorization).set(header, login);

  /** The token's expires_at, as /me reports it. */
  const expiryOf = async (authorization: string): Promise<string> => {
    const me = await t.http().get('/api/v1/me').set('Authorization', authorization);
    assert.equal(me.status, 200, JSON.stringify(me.body));
    assert.match(me.body.auth.expires_at, /^\d{4}-\d\d-\d\dT/);
    return me.body.auth.expires_at as string;
  };

  it('lets an admin’s password act as another user, with impersonated_by', async () => {
    const res = await switched(t.adminBasic, alice.username);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.id, alice.id);
    assert.equal(res.body.username, alice.username);
    assert.equal(res.body.is_admin, false);
    assert.deepEqual(res.body.impersonated_by, { id: admin.id, username: admin.username });
    assert.equal(res.body.auth.method, 'basic_password');
    assert.deepEqual(
      res.body.workspaces.map((w: { id: string }) => w.id),
      [aliceWs.id],
    );
  });

  it('lets an admin token with the admin scope act as another user', async () => {
    const res = await switched(adminToken.bearer, bob.username);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.id, bob.id);
    assert.deepEqual(res.body.impersonated_by, { id: admin.id, username: admin.username });
    assert.equal(res.body.auth.method, 'bearer');
    assert.equal(res.body.auth.token_id, adminToken.id);
    assert.deepEqual(res.body.auth.scopes, ['admin']);
  });

  it('accepts the Redmine alias X-Redmine-Switch-User', async () => {
    const res = await switched(t.adminBasic, alice.username, 'X-Redmine-Switch-User');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.id, alice.id);
    assert.deepEqual(res.body.impersonated_by, { id: admin.id, username: admin.username });
  });

  it('runs the request with the target’s rights, not the admin’s', async () => {
    const res = await t
      .http()
      .get('/api/v1/admin/users')
      .set('Authorization', t.adminBasic)
      .set('X-Switch-User', alice.username);
    assertError(res, 403, 'forbidden');
    const projects = await t
      .http()
      .get('/api/v1/projects')
      .set('Authorization', t.adminBasic)
      .set('X-Switch-User', alice.username)
      .set('X-Workspace-Id', aliceWs.id);
    assert.equal(projects.status, 200, JSON.stringify(projects.body));
  });

  it('returns 412 switch_user_invalid for an unknown login', async () => {
    const res = await switched(t.adminBasic, 'no-such-user');
    assertError(res, 412, 'switch_user_invalid');
    const viaToken = await switched(adminToken.bearer, 'no-such-user');
    assertError(viaToken, 412, 'switch_user_invalid');
    assert.equal(viaToken.headers['x-token-expires-at'], await expiryOf(adminToken.bearer));
    assert.equal(res.headers['x-token-expires-at'], undefined, 'not for a password');
    const empty = await t
      .http()
      .get('/api/v1/me')
      .set('Authorization', t.adminBasic)
      .set('X-Switch-User', '');
    assertError(empty, 412, 'switch_user_invalid');
  });

  it('returns 412 switch_user_invalid for a locked user', async () => {
    const carol = await createUser(t);
    const lock = await t
      .http()
      .patch(`/api/v1/admin/users/${carol.id}`)
      .set('Authorization', t.adminBasic)
      .send({ status: 'locked' });
    assert.equal(lock.status, 200, JSON.stringify(lock.body));
    assertError(await switched(t.adminBasic, carol.username), 412, 'switch_user_invalid');
  });

  it('ignores the header from a user who is not an instance admin', async () => {
    const res = await switched(alice.basic, bob.username);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.id, alice.id);
    assert.equal(res.body.impersonated_by, null);
    const viaToken = await switched(aliceToken.bearer, bob.username);
    assert.equal(viaToken.status, 200);
    assert.equal(viaToken.body.id, alice.id);
    assert.equal(viaToken.body.impersonated_by, null);
    // Not even a 412 for an unknown login: the header means nothing for them.
    const unknown = await switched(alice.basic, 'no-such-user');
    assert.equal(unknown.status, 200);
    assert.equal(unknown.body.id, alice.id);
  });

  it('refuses the header on an admin’s token without the admin scope: 403 insufficient_scope', async () => {
    for (const header of ['X-Switch-User', 'X-Redmine-Switch-User']) {
      const res = await switched(adminPlainToken.bearer, alice.username, header);
      assertError(res, 403, 'insufficient_scope');
      assert.match(res.body.message, /admin scope/);
      assert.equal(
        res.headers['www-authenticate'],
        'Bearer realm="tessera", error="insufficient_scope", scope="admin"',
      );
      // A token-authenticated answer, refusal or not (SPEC §4).
      assert.equal(res.headers['x-token-expires-at'], await expiryOf(adminPlainToken.bearer));
    }
    // Without the header the token works as the admin, as before.
    const plain = await t.http().get('/api/v1/me').set('Authorization', adminPlainToken.bearer);
    assert.equal(plain.status, 200, JSON.stringify(plain.body));
    assert.equal(plain.body.id, admin.id);
  });

  it('writes an auth.switch_user audit event for each switch, with the admin as impersonator', async () => {
    const before = await adminAuditEvents(t, { action: 'auth.switch_user' });
    const first = await switched(t.adminBasic, bob.username);
    assert.equal(first.status, 200);
    const second = await switched(adminToken.bearer, alice.username, 'X-Redmine-Switch-User');
    assert.equal(second.status, 200);
    // Refused or ignored switches are no switches.
    await switched(t.adminBasic, 'no-such-user');
    await switched(alice.basic, bob.username);

    const events = await adminAuditEvents(t, { action: 'auth.switch_user' });
    assert.equal(events.length, before.length + 2);
    const seen = new Set(before.map((e) => e.id));
    const added = events.filter((e) => !seen.has(e.id));
    for (const target of [alice, bob]) {
      const event = added.find((e) => e.target_id === target.id);
      assert.ok(event, `an event for the switch to ${target.username}`);
      assert.equal(event.action, 'auth.switch_user');
      assert.equal(event.impersonator_id, admin.id);
      assert.equal(event.actor_id, target.id);
      assert.equal(event.target_type, 'user');
      assert.equal(event.ip, '127.0.0.1');
      assert.equal(event.metadata?.path, '/api/v1/me');
    }
    assert.ok(events.every((e) => e.impersonator_id === admin.id));
  });

  it('marks what the switched request does with the impersonating admin in the audit log', async () => {
    const res = await t
      .http()
      .post('/api/v1/tokens')
      .set('Authorization', t.adminBasic)
      .set('X-Switch-User', alice.username)
      .set('X-Workspace-Id', aliceWs.id)
      .send({ name: 'made by the admin for alice', scopes: ['read'], expires_in_days: 5 });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.user_id, alice.id);
    const events = await adminAuditEvents(t, { action: 'token.created' });
    const event = events.find((e) => e.target_id === res.body.id);
    assert.ok(event, 'a token.created event for the new token');
    assert.equal(event.actor_id, alice.id);
    assert.equal(event.impersonator_id, admin.id);
  });
});
