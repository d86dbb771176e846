import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  createToken,
  createUser,
  createWorkspace,
  TestToken,
  TestUser,
  TestWorkspace,
} from '../support/factories';
import { ADMIN_PASSWORD, basicAuth, startTestApp, TestApp } from '../support/test-app';
import { setLegacyPassword } from './credential-helpers';

describe('Request log redaction (SPEC §3)', () => {
  let t: TestApp;
  let alice: TestUser;
  let ws: TestWorkspace;
  let token: TestToken;
  let otherToken: TestToken;
  const legacyPassword = 'legacy-secret-never-logged';
  const wrongPassword = 'wrong-password-never-logged';
  const secrets: string[] = [];

  before(async () => {
    t = await startTestApp({ captureLogs: true });
    alice = await createUser(t);
    ws = await createWorkspace(t, alice);
    token = await createToken(t, alice, ws, { scopes: ['read', 'write'] });
    otherToken = await createToken(t, alice, ws, { scopes: ['read'] });
    await setLegacyPassword(t, alice, legacyPassword);

    const basicToken = basicAuth('integration', token.token);
    const wrongBasic = basicAuth(alice.username, wrongPassword);
    secrets.push(
      token.token,
      token.token.slice(3), // the random body without the prefix
      otherToken.token,
      alice.password,
      ADMIN_PASSWORD,
      legacyPassword,
      wrongPassword,
      alice.basic.slice('Basic '.length),
      t.adminBasic.slice('Basic '.length),
      basicToken.slice('Basic '.length),
      wrongBasic.slice('Basic '.length),
    );

    const requests = [
      t.http().get('/api/v1/me').set('Authorization', token.bearer),
      t.http().get('/api/v1/me').set('X-API-Key', token.token),
      t.http().get('/api/v1/me').set('X-Redmine-API-Key', otherToken.token),
      t.http().get('/api/v1/me').query({ key: token.token }),
      t
        .http()
        .get('/api/v1/projects')
        .query({ limit: '5', key: otherToken.token })
        .set('X-Workspace-Id', ws.id),
      t.http().get('/api/v1/me').set('Authorization', basicToken),
      t.http().get('/api/v1/me').set('Authorization', alice.basic),
      t
        .http()
        .get('/api/v1/me')
        .set('X-AUTH-USER', alice.username)
        .set('X-AUTH-TOKEN', legacyPassword),
      // Refused attempts are logged too.
      t.http().get('/api/v1/me').set('Authorization', wrongBasic),
      t
        .http()
        .get('/api/v1/me')
        .set('X-AUTH-USER', alice.username)
        .set('X-AUTH-TOKEN', wrongPassword),
      t.http().get('/api/v1/me').set('X-API-Key', `${token.token}x`),
      t.http().get('/api/v1/nowhere').query({ key: token.token }),
    ];
    for (const req of requests) {
      await req;
    }
  });
  after(() => t.close());

  it('writes a request log', () => {
    const logs = t.logs();
    assert.ok(logs.length > 0, 'the request logger wrote something');
    assert.match(logs, /\/api\/v1\/me/);
    assert.match(logs, /\/api\/v1\/projects/);
  });

  it('replaces the ?key= value with [REDACTED] and keeps the other parameters', () => {
    const logs = t.logs();
    assert.match(logs, /\/api\/v1\/me\?key=\[REDACTED\]/);
    assert.match(logs, /\/api\/v1\/projects\?limit=5&key=\[REDACTED\]/);
  });

  it('contains none of the secrets used: tokens, passwords, the legacy password, Basic pairs', () => {
    const logs = t.logs();
    for (const secret of secrets) {
      assert.ok(!logs.includes(secret), `a secret leaked into the log (${secret.slice(0, 4)}…)`);
    }
  });
});
