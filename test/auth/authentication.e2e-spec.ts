import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  assertError,
  createToken,
  createUser,
  createWorkspace,
  expireToken,
  TestUser,
  TestWorkspace,
} from '../support/factories';
import { TokenFormat } from '../../src/tokens/token-format';
import { basicAuth, startTestApp, TestApp } from '../support/test-app';

describe('Authentication (Bearer and Basic)', () => {
  let t: TestApp;
  let alice: TestUser;
  let ws: TestWorkspace;

  before(async () => {
    t = await startTestApp();
    alice = await createUser(t);
    ws = await createWorkspace(t, alice);
  });
  after(() => t.close());

  describe('GET /api/v1/me', () => {
    it('returns 401 missing_credentials with a bare Bearer challenge when nothing is sent', async () => {
      const res = await t.http().get('/api/v1/me');
      assertError(res, 401, 'missing_credentials');
      assert.equal(res.headers['www-authenticate'], 'Bearer realm="tessera"');
    });

    it('reports the bearer method, token id, scopes, workspace and expiry', async () => {
      const token = await createToken(t, alice, ws, { scopes: ['read'] });
      const res = await t.http().get('/api/v1/me').set('Authorization', token.bearer);
      assert.equal(res.status, 200);
      assert.equal(res.body.username, alice.username);
      assert.deepEqual(res.body.auth.scopes, ['read']);
      assert.equal(res.body.auth.method, 'bearer');
      assert.equal(res.body.auth.token_id, token.id);
      assert.equal(res.body.auth.workspace_id, ws.id);
      assert.ok(Date.parse(res.body.auth.expires_at) > Date.now());
      assert.equal(res.body.impersonated_by, null);
      assert.deepEqual(
        res.body.workspaces.map((w: { id: string }) => w.id),
        [ws.id],
      );
    });

    it('accepts Basic username:password as basic_password with every scope', async () => {
      const res = await t.http().get('/api/v1/me').set('Authorization', alice.basic);
      assert.equal(res.status, 200);
      assert.equal(res.body.auth.method, 'basic_password');
      assert.deepEqual(res.body.auth.scopes, ['read', 'write', 'delete', 'admin']);
      assert.equal(res.body.auth.token_id, null);
    });

    it('accepts Basic with any user name and a token as the password (basic_token)', async () => {
      const token = await createToken(t, alice, ws, { scopes: ['read'] });
      const res = await t
        .http()
        .get('/api/v1/me')
        .set('Authorization', basicAuth('anything', token.token));
      assert.equal(res.status, 200);
      assert.equal(res.body.auth.method, 'basic_token');
      assert.equal(res.body.auth.token_id, token.id);
    });

    it('accepts a login by e-mail address too', async () => {
      const res = await t
        .http()
        .get('/api/v1/me')
        .set('Authorization', basicAuth(`${alice.username}@example.test`, alice.password));
      assert.equal(res.status, 200);
      assert.equal(res.body.id, alice.id);
    });
  });

  describe('refusals', () => {
    it('returns 401 invalid_credentials for a wrong password and for an unknown user', async () => {
      const wrong = await t
        .http()
        .get('/api/v1/me')
        .set('Authorization', basicAuth(alice.username, 'nope-nope-nope'));
      assertError(wrong, 401, 'invalid_credentials');
      assert.match(
        String(wrong.headers['www-authenticate']),
        /^Bearer realm="tessera", error="invalid_token"/,
      );
      // A refused password also offers Basic, so a Basic client sees its scheme accepted.
      assert.match(
        String(wrong.headers['www-authenticate']),
        /, Basic realm="tessera", charset="UTF-8"$/,
      );
      const unknown = await t
        .http()
        .get('/api/v1/me')
        .set('Authorization', basicAuth('ghost', 'nope-nope-nope'));
      assertError(unknown, 401, 'invalid_credentials');
      assert.equal(
        wrong.body.message,
        unknown.body.message,
        'no user enumeration through messages',
      );
    });

    it('returns 401 invalid_token for a token with a bad checksum, before any lookup', async () => {
      const token = await createToken(t, alice, ws);
      const last = token.token.endsWith('a') ? 'b' : 'a';
      const res = await t
        .http()
        .get('/api/v1/me')
        .set('Authorization', `Bearer ${token.token.slice(0, -1)}${last}`);
      assertError(res, 401, 'invalid_token');
      assert.match(
        String(res.headers['www-authenticate']),
        /^Bearer realm="tessera", error="invalid_token", error_description="[^"]+"$/,
      );
    });

    it('returns 401 invalid_token for a well-formed token nobody issued', async () => {
      const forged = new TokenFormat('ts_').generate();
      const res = await t.http().get('/api/v1/me').set('Authorization', `Bearer ${forged}`);
      assertError(res, 401, 'invalid_token');
      assert.match(res.body.message, /not recognised/);
    });

    it('refuses a revoked token on the very next request with 401 token_revoked', async () => {
      const token = await createToken(t, alice, ws);
      const ok = await t.http().get('/api/v1/me').set('Authorization', token.bearer);
      assert.equal(ok.status, 200);
      const del = await t
        .http()
        .delete(`/api/v1/tokens/${token.id}`)
        .set('Authorization', token.bearer)
        .set('X-Workspace-Id', ws.id);
      assert.equal(del.status, 204);
      const res = await t.http().get('/api/v1/me').set('Authorization', token.bearer);
      assertError(res, 401, 'token_revoked');
    });

    it('refuses an expired token with 401 token_expired', async () => {
      const token = await createToken(t, alice, ws);
      await expireToken(t, token.id);
      const res = await t.http().get('/api/v1/me').set('Authorization', token.bearer);
      assertError(res, 401, 'token_expired');
    });

    it('refuses the tokens and the password of a locked user', async () => {
      const bob = await createUser(t);
      const bobWs = await createWorkspace(t, bob);
      const token = await createToken(t, bob, bobWs);
      const lock = await t
        .http()
        .patch(`/api/v1/admin/users/${bob.id}`)
        .set('Authorization', t.adminBasic)
        .send({ status: 'locked' });
      assert.equal(lock.status, 200);
      assertError(
        await t.http().get('/api/v1/me').set('Authorization', token.bearer),
        401,
        'invalid_token',
      );
      assertError(
        await t.http().get('/api/v1/me').set('Authorization', bob.basic),
        401,
        'invalid_credentials',
      );
      const unlock = await t
        .http()
        .patch(`/api/v1/admin/users/${bob.id}`)
        .set('Authorization', t.adminBasic)
        .send({ status: 'active' });
      assert.equal(unlock.status, 200);
      assert.equal(
        (await t.http().get('/api/v1/me').set('Authorization', token.bearer)).status,
        200,
      );
    });

    const malformed: Array<[string, string]> = [
      ['an unknown scheme', 'Token abc'],
      ['a scheme without a value', 'Bearer'],
      ['an empty bearer value', 'Bearer '],
      ['three parts', 'Bearer a b'],
      ['garbage', '%%%%'],
      ['a bearer token with bad characters', 'Bearer ts_!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!'],
      ['a very long bearer value', `Bearer ${'x'.repeat(5000)}`],
      ['Basic without a colon', `Basic ${Buffer.from('nocolon').toString('base64')}`],
      ['Basic that is not base64', 'Basic !!!***'],
      ['Basic with an empty pair', `Basic ${Buffer.from(':').toString('base64')}`],
      ['latin-1 noise', 'Bearer \u00e9\u00e8\u00ff'],
    ];
    for (const [label, header] of malformed) {
      it(`returns 401 JSON, never 5xx, for ${label}`, async () => {
        const res = await t.http().get('/api/v1/me').set('Authorization', header);
        assert.equal(res.status, 401, JSON.stringify(res.body));
        assert.ok(['invalid_token', 'invalid_credentials'].includes(res.body.code), res.body.code);
        assert.match(String(res.headers['content-type']), /application\/json/);
        assert.ok(res.headers['www-authenticate']);
      });
    }
  });
});
