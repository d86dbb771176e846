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
import { setLegacyPassword } from './credential-helpers';

describe('Credentials a request may present (SPEC §4)', () => {
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  let ws: TestWorkspace;
  let aliceToken: TestToken;
  let bobToken: TestToken;
  const legacyPassword = 'legacy-api-password-of-alice';

  before(async () => {
    t = await startTestApp();
    alice = await createUser(t);
    bob = await createUser(t);
    ws = await createWorkspace(t, alice);
    const bobWs = await createWorkspace(t, bob);
    aliceToken = await createToken(t, alice, ws, { scopes: ['read', 'write'] });
    bobToken = await createToken(t, bob, bobWs, { scopes: ['read'] });
    await setLegacyPassword(t, alice, legacyPassword);
  });
  after(() => t.close());

  describe('GET /api/v1/me with each credential', () => {
    it('accepts Authorization: Bearer <token> as bearer', async () => {
      const res = await t.http().get('/api/v1/me').set('Authorization', aliceToken.bearer);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.id, alice.id);
      assert.equal(res.body.auth.method, 'bearer');
      assert.equal(res.body.auth.token_id, aliceToken.id);
      assert.deepEqual(res.body.auth.scopes, ['read', 'write']);
      assert.equal(res.body.auth.workspace_id, ws.id);
    });

    it('accepts X-API-Key: <token> as api_key', async () => {
      const res = await t.http().get('/api/v1/me').set('X-API-Key', aliceToken.token);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.id, alice.id);
      assert.equal(res.body.auth.method, 'api_key');
      assert.equal(res.body.auth.token_id, aliceToken.id);
    });

    it('accepts the Redmine alias X-Redmine-API-Key as api_key', async () => {
      const res = await t.http().get('/api/v1/me').set('X-Redmine-API-Key', aliceToken.token);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.id, alice.id);
      assert.equal(res.body.auth.method, 'api_key');
      assert.equal(res.body.auth.token_id, aliceToken.id);
    });

    it('accepts ?key=<token> as query_key', async () => {
      const res = await t.http().get('/api/v1/me').query({ key: aliceToken.token });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.id, alice.id);
      assert.equal(res.body.auth.method, 'query_key');
      assert.equal(res.body.auth.token_id, aliceToken.id);
    });

    it('accepts Basic with any user name and the token as password as basic_token', async () => {
      const res = await t
        .http()
        .get('/api/v1/me')
        .set('Authorization', basicAuth('whoever-you-like', aliceToken.token));
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.id, alice.id);
      assert.equal(res.body.auth.method, 'basic_token');
      assert.equal(res.body.auth.token_id, aliceToken.id);
      assert.deepEqual(res.body.auth.scopes, ['read', 'write']);
    });

    it('accepts Basic with an empty user name and the token as password (curl -u :$TOKEN)', async () => {
      const res = await t
        .http()
        .get('/api/v1/me')
        .set('Authorization', basicAuth('', aliceToken.token));
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.auth.method, 'basic_token');
      assert.equal(res.body.auth.token_id, aliceToken.id);
      // An empty user name with a password that is no token is still a wrong password.
      const refused = await t
        .http()
        .get('/api/v1/me')
        .set('Authorization', basicAuth('', 'not-a-token-at-all'));
      assertError(refused, 401, 'invalid_credentials');
    });

    it('accepts Redmine’s form with the token as user name (curl -u $KEY: and -u $KEY:x)', async () => {
      for (const password of ['', 'x']) {
        const header = `Basic ${Buffer.from(`${aliceToken.token}:${password}`).toString('base64')}`;
        const res = await t.http().get('/api/v1/me').set('Authorization', header);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.equal(res.body.auth.method, 'basic_token');
        assert.equal(res.body.auth.token_id, aliceToken.id);
      }
    });

    it('accepts Basic username:password as basic_password', async () => {
      const res = await t.http().get('/api/v1/me').set('Authorization', alice.basic);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.id, alice.id);
      assert.equal(res.body.auth.method, 'basic_password');
      assert.equal(res.body.auth.token_id, null);
      assert.equal(res.body.auth.expires_at, null);
    });

    it('accepts a Basic password that contains colons (split at the first colon only, RFC 7617)', async () => {
      const password = 'pä:ss:wörd with colons';
      const created = await t
        .http()
        .post('/api/v1/admin/users')
        .set('Authorization', t.adminBasic)
        .send({ username: 'colon-user', email: 'colon-user@example.test', password });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const res = await t
        .http()
        .get('/api/v1/me')
        .set('Authorization', basicAuth('colon-user', password));
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.username, 'colon-user');
      assert.equal(res.body.auth.method, 'basic_password');
      // Only the whole password opens the account.
      assertError(
        await t.http().get('/api/v1/me').set('Authorization', basicAuth('colon-user', 'pä')),
        401,
        'invalid_credentials',
      );
    });

    it('accepts X-AUTH-USER + X-AUTH-TOKEN (the legacy API password) as legacy_api_password', async () => {
      const res = await t
        .http()
        .get('/api/v1/me')
        .set('X-AUTH-USER', alice.username)
        .set('X-AUTH-TOKEN', legacyPassword);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.id, alice.id);
      assert.equal(res.body.auth.method, 'legacy_api_password');
      assert.equal(res.body.auth.token_id, null);
    });
  });

  describe('GET /api/v1/projects (a workspace route)', () => {
    it('accepts X-Redmine-API-Key with X-Workspace-Id', async () => {
      const res = await t
        .http()
        .get('/api/v1/projects')
        .set('X-Redmine-API-Key', aliceToken.token)
        .set('X-Workspace-Id', ws.id);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(res.body, { data: [], total_count: 0, offset: 0, limit: 25 });
    });

    it('accepts ?key= with X-Workspace-Id', async () => {
      const res = await t
        .http()
        .get('/api/v1/projects')
        .query({ key: aliceToken.token })
        .set('X-Workspace-Id', ws.id);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(res.body, { data: [], total_count: 0, offset: 0, limit: 25 });
    });

    it('accepts ?key= next to pagination parameters', async () => {
      const res = await t
        .http()
        .get('/api/v1/projects')
        .query({ key: aliceToken.token, limit: '5' })
        .set('X-Workspace-Id', ws.id);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.limit, 5);
    });
  });

  describe('ambiguous credentials', () => {
    it('returns 400 ambiguous_credentials for a Bearer token of one user and an X-API-Key of another', async () => {
      const res = await t
        .http()
        .get('/api/v1/me')
        .set('Authorization', aliceToken.bearer)
        .set('X-API-Key', bobToken.token);
      assertError(res, 400, 'ambiguous_credentials');
    });

    it('returns 400 ambiguous_credentials for X-API-Key and X-Redmine-API-Key of different users', async () => {
      const res = await t
        .http()
        .get('/api/v1/me')
        .set('X-API-Key', aliceToken.token)
        .set('X-Redmine-API-Key', bobToken.token);
      assertError(res, 400, 'ambiguous_credentials');
    });

    it('returns 400 ambiguous_credentials for a user’s password plus one of their tokens (two principals)', async () => {
      const res = await t
        .http()
        .get('/api/v1/me')
        .set('Authorization', alice.basic)
        .set('X-API-Key', aliceToken.token);
      assertError(res, 400, 'ambiguous_credentials');
    });

    it('returns 400 ambiguous_credentials for a Bearer token plus ?key= with another user’s token', async () => {
      const res = await t
        .http()
        .get('/api/v1/me')
        .query({ key: bobToken.token })
        .set('Authorization', aliceToken.bearer);
      assertError(res, 400, 'ambiguous_credentials');
    });

    it('returns 400 ambiguous_credentials for two ?key= values of different users, and accepts one token twice', async () => {
      const two = await t.http().get(`/api/v1/me?key=${aliceToken.token}&key=${bobToken.token}`);
      assertError(two, 400, 'ambiguous_credentials');
      const twice = await t
        .http()
        .get(`/api/v1/me?key=${aliceToken.token}&key=${aliceToken.token}`);
      assert.equal(twice.status, 200, JSON.stringify(twice.body));
      assert.equal(twice.body.auth.token_id, aliceToken.id);
      assert.equal(twice.body.auth.method, 'query_key');
    });

    it('accepts the same token sent in Authorization: Bearer and X-API-Key', async () => {
      const res = await t
        .http()
        .get('/api/v1/me')
        .set('Authorization', aliceToken.bearer)
        .set('X-API-Key', aliceToken.token);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.id, alice.id);
      assert.equal(res.body.auth.token_id, aliceToken.id);
    });
  });

  describe('X-Token-Expires-At', () => {
    it('equals the token’s expires_at on responses to every token credential', async () => {
      const created = await t
        .http()
        .post('/api/v1/tokens')
        .set('Authorization', alice.basic)
        .set('X-Workspace-Id', ws.id)
        .send({ name: 'expiry header', scopes: ['read'], expires_in_days: 7 });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const token = { id: created.body.id as string, token: created.body.token as string };
      const bearer = `Bearer ${token.token}`;
      const expiresAt = created.body.expires_at as string;
      assert.ok(Date.parse(expiresAt) > Date.now());
      const stored = await t
        .http()
        .get(`/api/v1/tokens/${token.id}`)
        .set('Authorization', alice.basic)
        .set('X-Workspace-Id', ws.id);
      assert.equal(stored.status, 200, JSON.stringify(stored.body));
      assert.equal(stored.body.expires_at, expiresAt);

      const requests = [
        t.http().get('/api/v1/me').set('Authorization', bearer),
        t.http().get('/api/v1/me').set('X-API-Key', token.token),
        t.http().get('/api/v1/me').set('X-Redmine-API-Key', token.token),
        t.http().get('/api/v1/me').query({ key: token.token }),
        t.http().get('/api/v1/me').set('Authorization', basicAuth('x', token.token)),
        t.http().get('/api/v1/projects').set('Authorization', bearer).set('X-Workspace-Id', ws.id),
      ];
      for (const req of requests) {
        const res = await req;
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.equal(res.headers['x-token-expires-at'], expiresAt);
      }
      const me = await t.http().get('/api/v1/me').set('Authorization', bearer);
      assert.equal(me.body.auth.expires_at, expiresAt);
    });

    it('is absent for Basic password and legacy password responses', async () => {
      const basic = await t.http().get('/api/v1/me').set('Authorization', alice.basic);
      assert.equal(basic.status, 200);
      assert.equal(basic.headers['x-token-expires-at'], undefined);
      const legacy = await t
        .http()
        .get('/api/v1/me')
        .set('X-AUTH-USER', alice.username)
        .set('X-AUTH-TOKEN', legacyPassword);
      assert.equal(legacy.status, 200);
      assert.equal(legacy.headers['x-token-expires-at'], undefined);
    });
  });
});
