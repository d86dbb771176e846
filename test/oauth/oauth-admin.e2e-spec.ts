import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oauth from 'oauth4webapi';
import { OAuthApplication } from '../../src/oauth/entities/oauth-application.entity';
import { sha256Hex } from '../../src/tokens/token-format';
import {
  assertError,
  createToken,
  createUser,
  createWorkspace,
  TestUser,
} from '../support/factories';
import {
  authorizationRequest,
  discover,
  INSECURE,
  OAuthBrowser,
  oauthFailure,
  obtainTokens,
  OAuthTestApp,
  REDIRECT_URI,
  registerClient,
  startOAuthTestApp,
} from '../support/oauth';

const APPS = '/api/v1/admin/oauth/applications';

describe('Admin: OAuth applications (SPEC §9)', () => {
  let t: OAuthTestApp;
  let as: oauth.AuthorizationServer;
  let alice: TestUser;

  before(async () => {
    t = await startOAuthTestApp();
    as = await discover(t);
    alice = await createUser(t);
  });
  after(() => t.close());

  const valid = {
    name: 'Reporting',
    redirect_uris: ['https://reports.example.test/callback'],
    scopes: ['read'],
    confidential: true,
  };

  const create = (body: Record<string, unknown>, authorization = t.adminBasic) =>
    t.http().post(APPS).set('Authorization', authorization).send(body);

  describe('access', () => {
    it('returns 401 missing_credentials without credentials', async () => {
      assertError(await t.http().get(APPS), 401, 'missing_credentials');
      assertError(await t.http().post(APPS).send(valid), 401, 'missing_credentials');
    });

    it('returns 403 forbidden to a user who is not an instance admin', async () => {
      const app = await registerClient(t);
      assertError(await t.http().get(APPS).set('Authorization', alice.basic), 403, 'forbidden');
      assertError(await create(valid, alice.basic), 403, 'forbidden');
      assertError(
        await t.http().delete(`${APPS}/${app.id}`).set('Authorization', alice.basic),
        403,
        'forbidden',
      );
      const list = await t.http().get(APPS).set('Authorization', t.adminBasic);
      assert.ok(
        list.body.data.some((a: { id: string }) => a.id === app.id),
        'not deleted',
      );
    });

    it("needs the admin scope in an admin's OAuth grant (403 insufficient_scope without it)", async () => {
      const adminUser = await createUser(t, { isAdmin: true });
      const client = await registerClient(t, { scopes: ['read', 'admin'] });
      const { tokens: read } = await obtainTokens(t, as, client, adminUser, { scope: 'read' });
      assertError(
        await t.http().get(APPS).set('Authorization', `Bearer ${read.access_token}`),
        403,
        'insufficient_scope',
      );
      const { tokens: admin } = await obtainTokens(t, as, client, adminUser, { scope: 'admin' });
      const res = await t.http().get(APPS).set('Authorization', `Bearer ${admin.access_token}`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
    });

    it('returns 403 insufficient_scope to a workspace token without the admin scope', async () => {
      const ws = await createWorkspace(t, alice);
      const token = await createToken(t, alice, ws, { scopes: ['read'] });
      assertError(
        await t.http().get(APPS).set('Authorization', token.bearer),
        403,
        'insufficient_scope',
      );
    });
  });

  describe('POST /api/v1/admin/oauth/applications', () => {
    it('creates a confidential app and shows its secret once', async () => {
      const res = await create(valid);
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.match(res.body.id, /^[0-9a-f-]{36}$/);
      assert.match(res.body.client_id, /^tsc_[0-9A-Za-z]{24}$/);
      assert.match(res.body.client_secret, /^tss_[0-9A-Za-z]{40}$/);
      assert.equal(res.body.name, 'Reporting');
      assert.deepEqual(res.body.redirect_uris, valid.redirect_uris);
      assert.deepEqual(res.body.scopes, ['read']);
      assert.equal(res.body.confidential, true);
      assert.ok(Date.parse(res.body.created_at));

      const list = await t
        .http()
        .get(APPS)
        .set('Authorization', t.adminBasic)
        .query({ limit: 100 });
      assert.equal(list.status, 200);
      assert.deepEqual(Object.keys(list.body).sort(), ['data', 'limit', 'offset', 'total_count']);
      const listed = list.body.data.find((a: { id: string }) => a.id === res.body.id);
      assert.ok(listed, 'listed');
      assert.equal(listed.client_secret, undefined);
      assert.equal(listed.client_secret_hash, undefined);
      assert.ok(!JSON.stringify(list.body).includes(res.body.client_secret));

      const row = await t.dataSource.getRepository(OAuthApplication).findOneOrFail({
        where: { id: res.body.id },
        select: { id: true, clientSecretHash: true },
      });
      assert.match(String(row.clientSecretHash), /^[0-9a-f]{64}$/);
      assert.equal(row.clientSecretHash, sha256Hex(res.body.client_secret));
      assert.notEqual(row.clientSecretHash, res.body.client_secret);
    });

    it('creates a public app without a secret', async () => {
      const res = await create({ ...valid, confidential: false });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.confidential, false);
      assert.equal('client_secret' in res.body, false);
      const row = await t.dataSource.getRepository(OAuthApplication).findOneOrFail({
        where: { id: res.body.id },
        select: { id: true, clientSecretHash: true },
      });
      assert.equal(row.clientSecretHash, null);
    });

    it('is confidential by default', async () => {
      const res = await create({
        name: valid.name,
        redirect_uris: valid.redirect_uris,
        scopes: valid.scopes,
      });
      assert.equal(res.status, 201);
      assert.equal(res.body.confidential, true);
      assert.ok(res.body.client_secret);
    });

    it('accepts http redirect URIs on loopback hosts only', async () => {
      const res = await create({
        ...valid,
        redirect_uris: ['http://localhost:8080/cb', 'http://127.0.0.1/cb', 'http://[::1]:9/cb'],
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
    });

    const invalid: Array<[string, Record<string, unknown>]> = [
      [
        'an http redirect URI on another host',
        { redirect_uris: ['http://reports.example.test/cb'] },
      ],
      ['a redirect URI with a fragment', { redirect_uris: ['https://reports.example.test/cb#x'] }],
      ['a redirect URI that is not a URL', { redirect_uris: ['not a url'] }],
      ['a javascript: redirect URI', { redirect_uris: ['javascript:alert(1)'] }],
      ['no redirect URIs', { redirect_uris: [] }],
      ['an unknown scope', { scopes: ['read', 'superuser'] }],
      ['no scopes', { scopes: [] }],
      ['an empty name', { name: '' }],
      ['an unknown field', { client_secret: 'chosen-by-me' }],
    ];
    for (const [label, change] of invalid) {
      it(`returns 400 validation_failed for ${label}`, async () => {
        const res = await create({ ...valid, ...change });
        assertError(res, 400, 'validation_failed');
        assert.ok(Array.isArray(res.body.details) && res.body.details.length > 0);
      });
    }
  });

  describe('DELETE /api/v1/admin/oauth/applications/:id', () => {
    it('returns 204; the app’s tokens stop working at once and its client is unknown', async () => {
      const client = await registerClient(t, { scopes: ['read'] });
      const { tokens } = await obtainTokens(t, as, client, alice);
      const before = await t
        .http()
        .get('/api/v1/me')
        .set('Authorization', `Bearer ${tokens.access_token}`);
      assert.equal(before.status, 200);

      const del = await t.http().delete(`${APPS}/${client.id}`).set('Authorization', t.adminBasic);
      assert.equal(del.status, 204);
      assert.equal(del.text, '');

      const after = await t
        .http()
        .get('/api/v1/me')
        .set('Authorization', `Bearer ${tokens.access_token}`);
      assertError(after, 401, 'invalid_token');

      const refresh = await oauthFailure(
        oauth
          .refreshTokenGrantRequest(
            as,
            client.client,
            client.auth,
            tokens.refresh_token as string,
            INSECURE,
          )
          .then((r) => oauth.processRefreshTokenResponse(as, client.client, r)),
      );
      assert.deepEqual([refresh.status, refresh.error], [401, 'invalid_client']);

      const browser = new OAuthBrowser(t);
      await browser.signIn(alice);
      const page = await browser.get((await authorizationRequest(as, client)).url);
      assert.equal(page.status, 400);
      assert.equal(page.location, undefined);

      const list = await t
        .http()
        .get(APPS)
        .set('Authorization', t.adminBasic)
        .query({ limit: 100 });
      assert.ok(!list.body.data.some((a: { id: string }) => a.id === client.id));
    });

    it('returns 404 not_found for an unknown or already deleted app', async () => {
      const client = await registerClient(t);
      const first = await t
        .http()
        .delete(`${APPS}/${client.id}`)
        .set('Authorization', t.adminBasic);
      assert.equal(first.status, 204);
      assertError(
        await t.http().delete(`${APPS}/${client.id}`).set('Authorization', t.adminBasic),
        404,
        'not_found',
      );
    });
  });

  describe('registered redirect URIs', () => {
    it('are matched exactly at /oauth/authorize', async () => {
      const client = await registerClient(t, { redirectUris: [REDIRECT_URI] });
      const browser = new OAuthBrowser(t);
      await browser.signIn(alice);
      const ok = await browser.get((await authorizationRequest(as, client)).url);
      assert.equal(ok.status, 200);
      const trailing = await browser.get(
        (await authorizationRequest(as, client, { redirectUri: `${REDIRECT_URI}/` })).url,
      );
      assert.equal(trailing.status, 400);
    });
  });
});
