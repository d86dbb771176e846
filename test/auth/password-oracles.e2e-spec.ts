import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { AuditEvent } from '../../src/audit/entities/audit-event.entity';
import { createUser, TestUser } from '../support/factories';
import { enableTwoFactor, OAuthBrowser } from '../support/oauth';
import { basicAuth, startTestApp, TestApp } from '../support/test-app';
import { adminAuditEvents, patchSettings } from '../credentials/credential-helpers';
import { alertOf } from '../web/web-helpers';

// Issue 13 items 8 and 11: no answer tells a right password from a wrong one, and failed-login
// audit events never hold a secret sent in the login field.

interface Answer {
  status: number;
  code: unknown;
  message: unknown;
  challenge: unknown;
}

function answerOf(res: {
  status: number;
  body: Record<string, unknown>;
  headers: Record<string, string>;
}): Answer {
  return {
    status: res.status,
    code: res.body.code,
    message: res.body.message,
    challenge: res.headers['www-authenticate'],
  };
}

function base62(length: number): string {
  let out = '';
  while (out.length < length) {
    out += randomBytes(length)
      .toString('base64')
      .replace(/[^0-9A-Za-z]/g, '');
  }
  return out.slice(0, length);
}

async function failedLoginCount(t: TestApp): Promise<number> {
  return t.dataSource.getRepository(AuditEvent).count({ where: { action: 'auth.failed' } });
}

describe('no password oracles', () => {
  let t: TestApp;
  let alice: TestUser;
  let twoFactor: TestUser;
  let locked: TestUser;

  before(async () => {
    t = await startTestApp();
    alice = await createUser(t);
    twoFactor = await createUser(t);
    await enableTwoFactor(t, twoFactor);
    locked = await createUser(t);
    const lock = await t
      .http()
      .patch(`/api/v1/admin/users/${locked.id}`)
      .set('Authorization', t.adminBasic)
      .send({ status: 'locked' });
    assert.equal(lock.status, 200, JSON.stringify(lock.body));
  });
  after(() => t?.close());

  const me = (authorization: string) =>
    t.http().get('/api/v1/me').set('Authorization', authorization);

  it('with allow_basic_password off, refuses right and wrong passwords alike, without verifying them', async () => {
    await patchSettings(t, { allow_basic_password: false });
    try {
      const before = await failedLoginCount(t);
      for (const user of [alice, twoFactor]) {
        const right = answerOf(await me(user.basic));
        const wrong = answerOf(await me(basicAuth(user.username, 'not-the-password')));
        assert.deepEqual(right, wrong, `${user.username}: the answer tells the password apart`);
        assert.equal(right.status, 401);
        assert.equal(right.code, 'invalid_credentials');
        assert.match(String(right.message), /switched off/);
      }
      assert.equal(await failedLoginCount(t), before, 'no password was verified');

      // The settings route still takes an admin's password; anyone else's gets one answer.
      const settings = (authorization: string) =>
        t.http().get('/api/v1/admin/settings').set('Authorization', authorization);
      assert.equal((await settings(t.adminBasic)).status, 200);
      const right = answerOf(await settings(alice.basic));
      const wrong = answerOf(await settings(basicAuth(alice.username, 'not-the-password')));
      assert.deepEqual(right, wrong);
      assert.equal(right.status, 401);
    } finally {
      await patchSettings(t, { allow_basic_password: true });
    }
  });

  it('answers a locked account exactly like a wrong password over HTTP Basic', async () => {
    const right = answerOf(await me(locked.basic));
    const wrong = answerOf(await me(basicAuth(locked.username, 'not-the-password')));
    assert.deepEqual(right, wrong);
    assert.equal(right.code, 'invalid_credentials');
    assert.doesNotMatch(String(right.message), /locked/);
  });

  it('answers a locked account exactly like a wrong password on the login page', async () => {
    const right = await new OAuthBrowser(t).submitLogin(locked);
    const wrong = await new OAuthBrowser(t).submitLogin({
      username: locked.username,
      password: 'not-the-password',
    });
    assert.equal(right.status, 401);
    assert.equal(wrong.status, 401);
    assert.equal(alertOf(right.text), alertOf(wrong.text));
    assert.doesNotMatch(alertOf(right.text), /locked/);
  });
});

describe('failed-login audit events never hold a secret', () => {
  let t: TestApp;
  let alice: TestUser;

  before(async () => {
    t = await startTestApp();
    alice = await createUser(t);
  });
  after(() => t?.close());

  it('redacts tokens and client secrets sent as a login, over Basic, X-AUTH-* and /login', async () => {
    const secrets = {
      oauthAccessToken: `tso_${base62(40)}`,
      oauthRefreshToken: `tsr_${base62(40)}`,
      clientSecret: `tss_${base62(40)}`,
      mistypedApiToken: `ts_${base62(31)}`,
      authorizationCode: base62(40),
    };
    for (const secret of Object.values(secrets)) {
      const basic = await t
        .http()
        .get('/api/v1/me')
        .set('Authorization', basicAuth(secret, 'some-password'));
      assert.equal(basic.status, 401, JSON.stringify(basic.body));
      const legacy = await t
        .http()
        .get('/api/v1/me')
        .set('X-AUTH-USER', secret)
        .set('X-AUTH-TOKEN', 'some-password');
      assert.equal(legacy.status, 401, JSON.stringify(legacy.body));
      const page = await new OAuthBrowser(t).submitLogin({
        username: secret,
        password: 'some-password',
      });
      assert.equal(page.status, 401);
    }
    const events = await adminAuditEvents(t, { action: 'auth.failed' });
    const methods = new Set(events.map((e) => e.metadata?.method));
    assert.deepEqual(
      [...methods].sort(),
      ['basic_password', 'legacy_api_password', 'web_login'],
      JSON.stringify(events),
    );
    assert.equal(events.length, 3 * Object.keys(secrets).length);
    const text = JSON.stringify(events);
    for (const [name, secret] of Object.entries(secrets)) {
      assert.ok(!text.includes(secret.slice(4, 24)), `${name} is in the audit log`);
    }
    for (const event of events) {
      assert.equal(event.metadata?.login, '[REDACTED]');
    }
  });

  it('stores the login only when it names an existing user, as that user', async () => {
    const before = (await adminAuditEvents(t, { action: 'auth.failed' })).length;
    const wrong = (login: string) =>
      t.http().get('/api/v1/me').set('Authorization', basicAuth(login, 'not-the-password'));
    assert.equal((await wrong('my-password-typed-as-login')).status, 401);
    assert.equal((await wrong(`${alice.username}@example.test`)).status, 401);
    const page = await new OAuthBrowser(t).submitLogin({
      username: 'Tr0ub4dor&3-in-the-login-field',
      password: 'not-the-password',
    });
    assert.equal(page.status, 401);
    const all = await adminAuditEvents(t, { action: 'auth.failed' });
    const events = all.slice(0, all.length - before); // newest first
    const logins = events.map((e) => e.metadata?.login).sort();
    assert.deepEqual(logins, ['[UNKNOWN]', '[UNKNOWN]', alice.username].sort());
    const text = JSON.stringify(events);
    assert.ok(!text.includes('my-password-typed-as-login'));
    assert.ok(!text.includes('Tr0ub4dor'));
  });
});
