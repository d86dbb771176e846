import { totpCode } from '../support/factories';
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
import { basicAuth, startTestApp, TestApp } from '../support/test-app';
import { adminAuditEvents, wrongTotpCode } from './credential-helpers';

describe('Two-factor authentication (SPEC §8)', () => {
  let t: TestApp;
  let alice: TestUser;
  let ws: TestWorkspace;
  let token: TestToken;
  let secret: string;

  before(async () => {
    t = await startTestApp();
    alice = await createUser(t);
    ws = await createWorkspace(t, alice);
    // Created before 2FA is on: afterwards the password no longer opens the API.
    token = await createToken(t, alice, ws, { scopes: ['read', 'write', 'delete'] });
  });
  after(() => t.close());

  const me = (authorization: string) =>
    t.http().get('/api/v1/me').set('Authorization', authorization);

  // The steps below build on each other: enrol, confirm, use, disable.
  it('POST /api/v1/me/two-factor with the password returns 201 with a secret and an otpauth:// URI', async () => {
    const res = await t.http().post('/api/v1/me/two-factor').set('Authorization', alice.basic);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.deepEqual(Object.keys(res.body).sort(), ['otpauth_uri', 'secret']);
    assert.match(res.body.secret, /^[A-Z2-7]{16,}=*$/);
    assert.ok(res.body.otpauth_uri.startsWith('otpauth://totp/'), res.body.otpauth_uri);
    assert.ok(res.body.otpauth_uri.includes(`secret=${res.body.secret}`));
    assert.ok(res.body.otpauth_uri.includes(alice.username));
    secret = res.body.secret as string;
    // Enrolment alone does not turn 2FA on.
    const check = await me(alice.basic);
    assert.equal(check.status, 200);
    assert.equal(check.body.two_factor_enabled, false);
  });

  it('returns 403 forbidden when a token tries to manage 2FA', async () => {
    for (const req of [
      t.http().post('/api/v1/me/two-factor').set('Authorization', token.bearer),
      t
        .http()
        .post('/api/v1/me/two-factor/confirm')
        .set('Authorization', token.bearer)
        .send({ code: await totpCode(secret) }),
      t
        .http()
        .post('/api/v1/me/two-factor/confirm')
        .set('X-API-Key', token.token)
        .send({ code: await totpCode(secret) }),
      t
        .http()
        .delete('/api/v1/me/two-factor')
        .set('Authorization', basicAuth('x', token.token))
        .send({ code: await totpCode(secret) }),
    ]) {
      assertError(await req, 403, 'forbidden');
    }
    assert.equal((await me(alice.basic)).body.two_factor_enabled, false);
  });

  it('confirming with a wrong code returns 400 validation_failed and leaves 2FA off', async () => {
    const res = await t
      .http()
      .post('/api/v1/me/two-factor/confirm')
      .set('Authorization', alice.basic)
      .send({ code: await wrongTotpCode(secret) });
    assertError(res, 400, 'validation_failed');
    assert.equal(res.body.details[0].field, 'code');
    const malformed = await t
      .http()
      .post('/api/v1/me/two-factor/confirm')
      .set('Authorization', alice.basic)
      .send({ code: '12ab' });
    assertError(malformed, 400, 'validation_failed');
    assert.equal((await me(alice.basic)).body.two_factor_enabled, false);
  });

  it('confirming with the current code returns 200 with 10 recovery codes and turns 2FA on', async () => {
    const res = await t
      .http()
      .post('/api/v1/me/two-factor/confirm')
      .set('Authorization', alice.basic)
      .send({ code: await totpCode(secret) });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(Object.keys(res.body), ['recovery_codes']);
    assert.equal(res.body.recovery_codes.length, 10);
    assert.equal(new Set(res.body.recovery_codes).size, 10);
    for (const code of res.body.recovery_codes as string[]) {
      assert.match(code, /^[0-9a-z]{5}-[0-9a-z]{5}$/);
    }
    const check = await me(token.bearer);
    assert.equal(check.status, 200);
    assert.equal(check.body.two_factor_enabled, true);
  });

  it('refuses the password for API calls with 401 two_factor_required, pointing to API tokens', async () => {
    const res = await me(alice.basic);
    assertError(res, 401, 'two_factor_required');
    assert.match(res.body.message, /API token/);
    assert.match(res.body.message, /Authorization: Bearer/);
    assert.match(String(res.headers['www-authenticate']), /^Bearer realm="tessera", error=/);
    const workspaceRoute = await t
      .http()
      .get('/api/v1/projects')
      .set('Authorization', alice.basic)
      .set('X-Workspace-Id', ws.id);
    assertError(workspaceRoute, 401, 'two_factor_required');
  });

  it('still refuses a wrong password with 401 invalid_credentials (no hint that 2FA is on)', async () => {
    const res = await me(basicAuth(alice.username, 'not-alices-password'));
    assertError(res, 401, 'invalid_credentials');
  });

  it('keeps accepting the user’s tokens: Bearer, X-API-Key and Basic with the token', async () => {
    for (const res of [
      await me(token.bearer),
      await me(basicAuth('anything', token.token)),
      await t.http().get('/api/v1/me').set('X-API-Key', token.token),
    ]) {
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.id, alice.id);
      assert.equal(res.body.two_factor_enabled, true);
    }
  });

  it('returns 409 conflict when enrolling again while 2FA is on', async () => {
    const res = await t.http().post('/api/v1/me/two-factor').set('Authorization', alice.basic);
    assertError(res, 409, 'conflict');
  });

  it('DELETE with a wrong code returns 400 validation_failed and keeps 2FA on', async () => {
    const res = await t
      .http()
      .delete('/api/v1/me/two-factor')
      .set('Authorization', alice.basic)
      .send({ code: await wrongTotpCode(secret) });
    assertError(res, 400, 'validation_failed');
    assertError(await me(alice.basic), 401, 'two_factor_required');
  });

  it('DELETE /api/v1/me/two-factor with the password and a current code returns 204: the password works again', async () => {
    const res = await t
      .http()
      .delete('/api/v1/me/two-factor')
      .set('Authorization', alice.basic)
      .send({ code: await totpCode(secret) });
    assert.equal(res.status, 204, JSON.stringify(res.body));
    const check = await me(alice.basic);
    assert.equal(check.status, 200, JSON.stringify(check.body));
    assert.equal(check.body.auth.method, 'basic_password');
    assert.equal(check.body.two_factor_enabled, false);
  });

  it('records enabling and disabling in the audit log', async () => {
    const enabled = await adminAuditEvents(t, { action: 'user.two_factor_enabled' });
    const disabled = await adminAuditEvents(t, { action: 'user.two_factor_disabled' });
    assert.deepEqual(
      enabled.map((e) => [e.actor_id, e.target_id]),
      [[alice.id, alice.id]],
    );
    assert.deepEqual(
      disabled.map((e) => [e.actor_id, e.target_id]),
      [[alice.id, alice.id]],
    );
    for (const event of [...enabled, ...disabled]) {
      assert.ok(!JSON.stringify(event).includes(secret), 'the TOTP secret is never audited');
    }
  });
});

describe('Two-factor codes work once (RFC 6238 §5.2), kept in the database', () => {
  let t: TestApp;
  let bob: TestUser;
  let secret: string;

  before(async () => {
    t = await startTestApp();
    bob = await createUser(t);
    const started = await t.http().post('/api/v1/me/two-factor').set('Authorization', bob.basic);
    assert.equal(started.status, 201, JSON.stringify(started.body));
    secret = started.body.secret as string;
  });
  after(() => t.close());

  it('refuses a code already accepted, and keeps the accepted step in the users row', async () => {
    const code = await totpCode(secret);
    const confirmed = await t
      .http()
      .post('/api/v1/me/two-factor/confirm')
      .set('Authorization', bob.basic)
      .send({ code });
    assert.equal(confirmed.status, 200, JSON.stringify(confirmed.body));
    // The same code again, to turn 2FA off: refused, 2FA stays on.
    const replay = await t
      .http()
      .delete('/api/v1/me/two-factor')
      .set('Authorization', bob.basic)
      .send({ code });
    assertError(replay, 400, 'validation_failed');
    const row = await t.dataSource.query<Array<{ totp_last_step: number | string | null }>>(
      'SELECT totp_last_step FROM users WHERE id = ?',
      [bob.id],
    );
    // Kept in the users row, so every instance (and a restarted one) refuses the replay too.
    const stored = Number(row[0].totp_last_step);
    assert.ok(
      Math.abs(stored - Math.floor(Date.now() / 30_000)) <= 2,
      `the accepted step (${stored}) is stored`,
    );
    // A later code works.
    const off = await t
      .http()
      .delete('/api/v1/me/two-factor')
      .set('Authorization', bob.basic)
      .send({ code: await totpCode(secret) });
    assert.equal(off.status, 204, JSON.stringify(off.body));
  });
});
