import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oauth from 'oauth4webapi';
import { OAuthToken } from '../../src/oauth/entities/oauth-token.entity';
import { ApiToken } from '../../src/tokens/entities/api-token.entity';
import { sha256Hex } from '../../src/tokens/token-format';
import {
  assertError,
  createToken,
  createUser,
  createWorkspace,
  TestUser,
} from '../support/factories';
import {
  discover,
  INSECURE,
  oauthFailure,
  obtainTokens,
  OAuthTestApp,
  registerClient,
  RegisteredClient,
  startOAuthTestApp,
} from '../support/oauth';
import { basicAuth } from '../support/test-app';

describe('OAuth2 tokens: refresh, revocation, introspection (SPEC §9)', () => {
  let t: OAuthTestApp;
  let as: oauth.AuthorizationServer;
  let client: RegisteredClient;
  let otherClient: RegisteredClient;
  let publicClient: RegisteredClient;
  let alice: TestUser;

  before(async () => {
    t = await startOAuthTestApp();
    as = await discover(t);
    client = await registerClient(t, { scopes: ['read', 'write'] });
    otherClient = await registerClient(t, { scopes: ['read', 'write'], name: 'Other client' });
    publicClient = await registerClient(t, { scopes: ['read'], confidential: false });
    alice = await createUser(t);
  });
  after(() => t.close());

  const me = (accessToken: string) =>
    t.http().get('/api/v1/me').set('Authorization', `Bearer ${accessToken}`);

  function refresh(
    c: RegisteredClient,
    refreshToken: string,
  ): Promise<oauth.TokenEndpointResponse> {
    return oauth
      .refreshTokenGrantRequest(as, c.client, c.auth, refreshToken, INSECURE)
      .then((response) => oauth.processRefreshTokenResponse(as, c.client, response));
  }

  async function revoke(c: RegisteredClient, token: string, auth = c.auth): Promise<void> {
    const response = await oauth.revocationRequest(as, c.client, auth, token, INSECURE);
    assert.equal(response.status, 200);
    await oauth.processRevocationResponse(response);
  }

  async function introspect(
    c: RegisteredClient,
    token: string,
    auth = c.auth,
  ): Promise<oauth.IntrospectionResponse> {
    const response = await oauth.introspectionRequest(as, c.client, auth, token, INSECURE);
    return oauth.processIntrospectionResponse(as, c.client, response);
  }

  describe('API tokens and OAuth grants', () => {
    it('refuses to create or rotate an API token with an OAuth access token (403), creating nothing', async () => {
      const ws = await createWorkspace(t, alice);
      const { tokens } = await obtainTokens(t, as, client, alice, { scope: 'read write' });
      const bearer = `Bearer ${tokens.access_token}`;
      const countTokens = () => t.dataSource.getRepository(ApiToken).count();
      const before = await countTokens();
      const inWorkspace = await t
        .http()
        .post('/api/v1/tokens')
        .set('Authorization', bearer)
        .set('X-Workspace-Id', ws.id)
        .send({ name: 'escape hatch', scopes: ['read'], expires_in_days: 365 });
      assertError(inWorkspace, 403, 'forbidden');
      assert.match(inWorkspace.body.message, /OAuth application cannot create/);
      const own = await createToken(t, alice, ws, { scopes: ['read', 'write'] });
      const rotate = await t
        .http()
        .post(`/api/v1/tokens/${own.id}/rotate`)
        .set('Authorization', bearer)
        .set('X-Workspace-Id', ws.id)
        .send({});
      assertError(rotate, 403, 'forbidden');
      assert.equal(await countTokens(), before + 1, 'only the token made with the password exists');
    });

    it("refuses an instance admin's OAuth grant an instance token (no way around the grant's scopes)", async () => {
      const admin = await createUser(t, { isAdmin: true });
      const { tokens } = await obtainTokens(t, as, client, admin, { scope: 'read write' });
      const res = await t
        .http()
        .post('/api/v1/tokens')
        .set('Authorization', `Bearer ${tokens.access_token}`)
        .send({ name: 'admin escape', scopes: ['admin'], expires_in_days: 30 });
      assert.ok(res.status === 403, `expected 403, got ${res.status} ${JSON.stringify(res.body)}`);
    });
  });

  describe('POST /oauth/token grant_type=refresh_token', () => {
    it('rotates: every refresh returns a new access and refresh token, and the new ones work', async () => {
      const { tokens: first } = await obtainTokens(t, as, client, alice, { scope: 'read write' });
      const second = await refresh(client, first.refresh_token as string);
      assert.match(second.access_token, /^tso_/);
      assert.match(String(second.refresh_token), /^tsr_/);
      assert.notEqual(second.access_token, first.access_token);
      assert.notEqual(second.refresh_token, first.refresh_token);
      assert.equal(second.scope, 'read write');
      assert.equal(second.expires_in, 7200);
      const third = await refresh(client, second.refresh_token as string);
      assert.notEqual(third.refresh_token, second.refresh_token);
      assert.equal(third.expires_in, 7200);
      const res = await me(third.access_token);
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.auth.scopes, ['read', 'write']);
    });

    it('answers expires_in 7200 and stores expires_at 7200 s after created_at, for a confidential and a public client', async () => {
      const rows = t.dataSource.getRepository(OAuthToken);
      for (const c of [client, publicClient]) {
        const { tokens } = await obtainTokens(t, as, c, alice);
        const next = await refresh(c, tokens.refresh_token as string);
        assert.deepEqual([tokens.expires_in, next.expires_in], [7200, 7200], c.clientId);
        for (const issued of [tokens, next]) {
          const row = await rows.findOneByOrFail({
            accessTokenHash: sha256Hex(issued.access_token),
          });
          const created = row.createdAt.getTime();
          assert.equal(row.accessExpiresAt.getTime() - created, 7200_000);
          assert.equal(row.refreshExpiresAt?.getTime(), created + 30 * 86400_000);
        }
      }
    });

    it('may narrow the scope, never widen it (invalid_scope)', async () => {
      const { tokens } = await obtainTokens(t, as, client, alice, { scope: 'read' });
      const failure = await oauthFailure(
        oauth
          .refreshTokenGrantRequest(
            as,
            client.client,
            client.auth,
            tokens.refresh_token as string,
            {
              ...INSECURE,
              additionalParameters: { scope: 'read write' },
            },
          )
          .then((r) => oauth.processRefreshTokenResponse(as, client.client, r)),
      );
      assert.deepEqual([failure.status, failure.error], [400, 'invalid_scope']);
    });

    it('treats reuse of a rotated refresh token as theft: invalid_grant, and the whole grant is revoked', async () => {
      const { tokens: first } = await obtainTokens(t, as, client, alice);
      const second = await refresh(client, first.refresh_token as string);
      const third = await refresh(client, second.refresh_token as string);
      assert.equal((await me(third.access_token)).status, 200);

      const reuse = await oauthFailure(refresh(client, first.refresh_token as string));
      assert.deepEqual([reuse.status, reuse.error], [400, 'invalid_grant']);

      assertError(await me(third.access_token), 401, 'token_revoked');
      assertError(await me(first.access_token), 401, 'token_revoked');
      const latest = await oauthFailure(refresh(client, third.refresh_token as string));
      assert.deepEqual([latest.status, latest.error], [400, 'invalid_grant']);
      assert.equal((await introspect(client, third.access_token)).active, false);
    });

    it("refuses another client's refresh token with invalid_grant", async () => {
      const { tokens } = await obtainTokens(t, as, client, alice);
      const failure = await oauthFailure(refresh(otherClient, tokens.refresh_token as string));
      assert.deepEqual([failure.status, failure.error], [400, 'invalid_grant']);
    });

    it('refuses an unknown refresh token with invalid_grant', async () => {
      const failure = await oauthFailure(refresh(client, `tsr_${'a'.repeat(40)}`));
      assert.deepEqual([failure.status, failure.error], [400, 'invalid_grant']);
    });

    it('answers with Cache-Control: no-store (RFC 6749 §5.1)', async () => {
      const { tokens } = await obtainTokens(t, as, client, alice);
      const response = await oauth.refreshTokenGrantRequest(
        as,
        client.client,
        client.auth,
        tokens.refresh_token as string,
        INSECURE,
      );
      assert.equal(response.headers.get('cache-control'), 'no-store');
      assert.equal(response.headers.get('pragma'), 'no-cache');
      await oauth.processRefreshTokenResponse(as, client.client, response);
    });
  });

  describe('POST /oauth/revoke (RFC 7009)', () => {
    it('revokes an access token: 200, and the API refuses it at once with 401 token_revoked', async () => {
      const { tokens } = await obtainTokens(t, as, client, alice);
      assert.equal((await me(tokens.access_token)).status, 200);
      await revoke(client, tokens.access_token);
      assertError(await me(tokens.access_token), 401, 'token_revoked');
      const info = await t
        .http()
        .get('/oauth/token/info')
        .set('Authorization', `Bearer ${tokens.access_token}`);
      assert.equal(info.status, 401);
      // The grant goes with it: its refresh token no longer works either.
      const failure = await oauthFailure(refresh(client, tokens.refresh_token as string));
      assert.equal(failure.error, 'invalid_grant');
    });

    it('revokes by refresh token too, taking the access token with it', async () => {
      const { tokens } = await obtainTokens(t, as, client, alice);
      await revoke(client, tokens.refresh_token as string);
      assertError(await me(tokens.access_token), 401, 'token_revoked');
    });

    it('accepts client_secret_post and a public client without a secret', async () => {
      const { tokens } = await obtainTokens(t, as, client, alice);
      await revoke(
        client,
        tokens.access_token,
        oauth.ClientSecretPost(client.clientSecret as string),
      );
      assertError(await me(tokens.access_token), 401, 'token_revoked');

      const { tokens: pub } = await obtainTokens(t, as, publicClient, alice);
      await revoke(publicClient, pub.access_token);
      assertError(await me(pub.access_token), 401, 'token_revoked');
    });

    it('answers 200 for an unknown token (RFC 7009 §2.2)', async () => {
      await revoke(client, `tso_${'x'.repeat(40)}`);
      await revoke(client, 'not-even-a-token');
    });

    it("does not revoke another client's token", async () => {
      const { tokens } = await obtainTokens(t, as, client, alice);
      const response = await oauth.revocationRequest(
        as,
        otherClient.client,
        otherClient.auth,
        tokens.access_token,
        INSECURE,
      );
      // RFC 7009 §2.1: refused with an error, never answered as if it had been revoked.
      assert.equal(response.status, 400);
      assert.equal(((await response.json()) as { error: string }).error, 'unauthorized_client');
      assert.equal((await me(tokens.access_token)).status, 200, 'still valid');
    });

    it('returns 401 invalid_client for a wrong client secret, and revokes nothing', async () => {
      const { tokens } = await obtainTokens(t, as, client, alice);
      for (const auth of [
        oauth.ClientSecretBasic('tss_wrong'),
        oauth.ClientSecretPost('tss_wrong'),
      ]) {
        const failure = await oauthFailure(
          oauth
            .revocationRequest(as, client.client, auth, tokens.access_token, INSECURE)
            .then((r) => oauth.processRevocationResponse(r)),
        );
        assert.deepEqual([failure.status, failure.error], [401, 'invalid_client']);
      }
      assert.equal((await me(tokens.access_token)).status, 200);
    });

    it('returns 401 invalid_client with a Basic challenge when Basic credentials are wrong', async () => {
      const res = await t
        .http()
        .post('/oauth/revoke')
        .set('Authorization', basicAuth(client.clientId, 'tss_wrong'))
        .type('form')
        .send({ token: 'whatever' });
      assert.equal(res.status, 401);
      assert.equal(res.body.error, 'invalid_client');
      assert.match(String(res.headers['www-authenticate']), /^Basic /);
    });

    it('returns 400 invalid_request without a token', async () => {
      const res = await t
        .http()
        .post('/oauth/revoke')
        .set('Authorization', basicAuth(client.clientId, client.clientSecret as string))
        .type('form')
        .send({});
      assert.equal(res.status, 400);
      assert.equal(res.body.error, 'invalid_request');
    });
  });

  describe('POST /oauth/introspect (RFC 7662)', () => {
    it('describes an active access token', async () => {
      const { tokens } = await obtainTokens(t, as, client, alice, { scope: 'read' });
      const now = Math.floor(Date.now() / 1000);
      const result = await introspect(client, tokens.access_token);
      assert.equal(result.active, true);
      assert.equal(result.scope, 'read');
      assert.equal(result.client_id, client.clientId);
      assert.equal(result.username, alice.username);
      assert.equal(result.sub, alice.id);
      assert.equal(result.token_type, 'Bearer');
      assert.equal(result.iss, t.issuer.origin);
      assert.ok(
        typeof result.exp === 'number' && result.exp > now + 7000 && result.exp <= now + 7201,
        String(result.exp),
      );
    });

    it('describes an active refresh token, and a used one as inactive', async () => {
      const { tokens } = await obtainTokens(t, as, client, alice);
      const active = await introspect(client, tokens.refresh_token as string);
      assert.equal(active.active, true);
      assert.equal(active.token_type, 'refresh_token');
      await refresh(client, tokens.refresh_token as string);
      assert.deepEqual(await introspect(client, tokens.refresh_token as string), {
        active: false,
      });
    });

    it('accepts client_secret_post', async () => {
      const { tokens } = await obtainTokens(t, as, client, alice);
      const result = await introspect(
        client,
        tokens.access_token,
        oauth.ClientSecretPost(client.clientSecret as string),
      );
      assert.equal(result.active, true);
    });

    it('answers {active: false} for a revoked and for an unknown token', async () => {
      const { tokens } = await obtainTokens(t, as, client, alice);
      await revoke(client, tokens.access_token);
      assert.deepEqual(await introspect(client, tokens.access_token), { active: false });
      assert.deepEqual(await introspect(client, `tso_${'q'.repeat(40)}`), { active: false });
    });

    it("answers {active: false} for another client's token", async () => {
      const { tokens } = await obtainTokens(t, as, client, alice);
      assert.deepEqual(await introspect(otherClient, tokens.access_token), { active: false });
      assert.equal((await introspect(client, tokens.access_token)).active, true);
    });

    it('returns 401 invalid_client for a wrong secret and for a public client', async () => {
      const { tokens } = await obtainTokens(t, as, client, alice);
      const wrong = await oauthFailure(
        introspect(client, tokens.access_token, oauth.ClientSecretBasic('tss_wrong')),
      );
      assert.deepEqual([wrong.status, wrong.error], [401, 'invalid_client']);
      const { tokens: pub } = await obtainTokens(t, as, publicClient, alice);
      const publicFailure = await oauthFailure(introspect(publicClient, pub.access_token));
      assert.deepEqual([publicFailure.status, publicFailure.error], [401, 'invalid_client']);
    });
  });

  describe('a locked user', () => {
    it("loses the OAuth tokens' access at once, and gets it back when unlocked", async () => {
      const bob = await createUser(t);
      const { tokens } = await obtainTokens(t, as, client, bob);
      assert.equal((await me(tokens.access_token)).status, 200);
      const lock = await t
        .http()
        .patch(`/api/v1/admin/users/${bob.id}`)
        .set('Authorization', t.adminBasic)
        .send({ status: 'locked' });
      assert.equal(lock.status, 200, JSON.stringify(lock.body));

      assertError(await me(tokens.access_token), 401, 'invalid_token');
      assert.deepEqual(await introspect(client, tokens.access_token), { active: false });
      const info = await t
        .http()
        .get('/oauth/token/info')
        .set('Authorization', `Bearer ${tokens.access_token}`);
      assert.equal(info.status, 401, JSON.stringify(info.body));
      assert.equal(info.body.error, 'invalid_token');

      const unlock = await t
        .http()
        .patch(`/api/v1/admin/users/${bob.id}`)
        .set('Authorization', t.adminBasic)
        .send({ status: 'active' });
      assert.equal(unlock.status, 200);
      assert.equal((await me(tokens.access_token)).status, 200);
    });

    it('cannot refresh while locked (invalid_grant)', async () => {
      const carol = await createUser(t);
      const { tokens } = await obtainTokens(t, as, client, carol);
      const lock = await t
        .http()
        .patch(`/api/v1/admin/users/${carol.id}`)
        .set('Authorization', t.adminBasic)
        .send({ status: 'locked' });
      assert.equal(lock.status, 200);
      const failure = await oauthFailure(refresh(client, tokens.refresh_token as string));
      assert.deepEqual([failure.status, failure.error], [400, 'invalid_grant']);
    });
  });
});
