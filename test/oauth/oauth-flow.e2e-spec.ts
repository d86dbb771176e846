import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oauth from 'oauth4webapi';
import {
  assertError,
  createUser,
  createWorkspace,
  TestUser,
  TestWorkspace,
} from '../support/factories';
import {
  authorizationRequest,
  discover,
  INSECURE,
  OAuthBrowser,
  obtainTokens,
  OAuthTestApp,
  registerClient,
  RegisteredClient,
  startOAuthTestApp,
} from '../support/oauth';

describe('OAuth2 authorization code flow with PKCE (SPEC §9)', () => {
  let t: OAuthTestApp;
  let as: oauth.AuthorizationServer;
  let alice: TestUser;
  let ws: TestWorkspace;
  let freeWs: TestWorkspace;

  before(async () => {
    t = await startOAuthTestApp();
    as = await discover(t);
    alice = await createUser(t);
    ws = await createWorkspace(t, alice, { plan: 'pro' });
    freeWs = await createWorkspace(t, alice, { plan: 'free' });
  });
  after(() => t.close());

  describe('GET /.well-known/oauth-authorization-server', () => {
    it('describes the server with PUBLIC_URL as issuer and every endpoint under it (RFC 8414)', () => {
      const base = t.issuer.origin;
      assert.equal(as.issuer, base);
      assert.equal(as.authorization_endpoint, `${base}/oauth/authorize`);
      assert.equal(as.token_endpoint, `${base}/oauth/token`);
      assert.equal(as.revocation_endpoint, `${base}/oauth/revoke`);
      assert.equal(as.introspection_endpoint, `${base}/oauth/introspect`);
      assert.deepEqual(as.response_types_supported, ['code']);
      assert.deepEqual(as.code_challenge_methods_supported, ['S256']);
      assert.deepEqual([...(as.grant_types_supported ?? [])].sort(), [
        'authorization_code',
        'refresh_token',
      ]);
      assert.deepEqual([...(as.token_endpoint_auth_methods_supported ?? [])].sort(), [
        'client_secret_basic',
        'client_secret_post',
        'none',
      ]);
      assert.deepEqual(as.scopes_supported, ['read', 'write', 'delete', 'admin']);
    });

    it('is public JSON', async () => {
      const res = await t.http().get('/.well-known/oauth-authorization-server');
      assert.equal(res.status, 200);
      assert.match(String(res.headers['content-type']), /application\/json/);
      assert.equal(res.body.issuer, t.issuer.origin);
    });
  });

  /** Checks a token response of the code grant and returns it. */
  function assertTokenResponse(tokens: oauth.TokenEndpointResponse, scope: string): void {
    assert.match(tokens.access_token, /^tso_[0-9A-Za-z]{40}$/);
    assert.match(String(tokens.refresh_token), /^tsr_[0-9A-Za-z]{40}$/);
    assert.equal(tokens.token_type, 'bearer');
    // The access token's whole lifetime, not the time left a few milliseconds later (7199).
    assert.equal(tokens.expires_in, 7200);
    assert.equal(tokens.scope, scope);
  }

  async function me(accessToken: string) {
    return t.http().get('/api/v1/me').set('Authorization', `Bearer ${accessToken}`);
  }

  describe('a confidential client', () => {
    let client: RegisteredClient;

    before(async () => {
      client = await registerClient(t, { scopes: ['read', 'write'], confidential: true });
    });

    it('gets tokens with client_secret_basic, and they act as the user with the granted scopes', async () => {
      const { tokens } = await obtainTokens(t, as, client, alice, { scope: 'read write' });
      assertTokenResponse(tokens, 'read write');

      const res = await me(tokens.access_token);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.id, alice.id);
      assert.equal(res.body.auth.method, 'oauth');
      assert.deepEqual(res.body.auth.scopes, ['read', 'write']);
      assert.equal(res.body.auth.token_id, null);
      const expiresAt = Date.parse(res.headers['x-token-expires-at']);
      assert.ok(expiresAt > Date.now() + 7000_000 && expiresAt <= Date.now() + 7201_000);
    });

    it('gets tokens with client_secret_post too', async () => {
      const post: RegisteredClient = {
        ...client,
        client: { client_id: client.clientId, token_endpoint_auth_method: 'client_secret_post' },
        auth: oauth.ClientSecretPost(client.clientSecret as string),
      };
      const { tokens } = await obtainTokens(t, as, post, alice, { scope: 'read' });
      assertTokenResponse(tokens, 'read');
      assert.equal((await me(tokens.access_token)).status, 200);
    });

    it('is granted every scope of the application when the request names none', async () => {
      const { tokens } = await obtainTokens(t, as, client, alice);
      assertTokenResponse(tokens, 'read write');
    });

    it('shows the application and the requested scopes on the consent page', async () => {
      const request = await authorizationRequest(as, client, { scope: 'read' });
      const consent = await new OAuthBrowser(t).open(request.url, alice);
      assert.equal(consent.status, 200, consent.text);
      assert.match(String(consent.headers['content-type']), /text\/html/);
      assert.match(consent.text, /Authorize Test client/);
      assert.match(consent.text, /<code>read<\/code>/);
      assert.doesNotMatch(consent.text, /<code>write<\/code>/);
    });
  });

  describe('a public client (PKCE, no secret)', () => {
    let client: RegisteredClient;

    before(async () => {
      client = await registerClient(t, { scopes: ['read'], confidential: false });
    });

    it('gets tokens with token_endpoint_auth_method none', async () => {
      assert.equal(client.clientSecret, undefined);
      assert.equal(client.client.token_endpoint_auth_method, 'none');
      const { tokens } = await obtainTokens(t, as, client, alice, { scope: 'read' });
      assertTokenResponse(tokens, 'read');
      const res = await me(tokens.access_token);
      assert.equal(res.status, 200);
      assert.equal(res.body.auth.method, 'oauth');
      assert.deepEqual(res.body.auth.scopes, ['read']);
    });

    it('refreshes without a secret too', async () => {
      const { tokens } = await obtainTokens(t, as, client, alice);
      const refreshed = await oauth.processRefreshTokenResponse(
        as,
        client.client,
        await oauth.refreshTokenGrantRequest(
          as,
          client.client,
          client.auth,
          tokens.refresh_token as string,
          INSECURE,
        ),
      );
      assertTokenResponse(refreshed, 'read');
      assert.equal((await me(refreshed.access_token)).status, 200);
    });
  });

  describe('OAuth access tokens on workspace routes', () => {
    let readWrite: string;
    let readOnly: string;
    let bob: TestUser;

    before(async () => {
      const client = await registerClient(t, { scopes: ['read', 'write'] });
      readWrite = (await obtainTokens(t, as, client, alice, { scope: 'read write' })).tokens
        .access_token;
      readOnly = (await obtainTokens(t, as, client, alice, { scope: 'read' })).tokens.access_token;
      bob = await createUser(t);
    });

    const projects = (token: string, workspaceId: string) =>
      t
        .http()
        .get('/api/v1/projects')
        .set('Authorization', `Bearer ${token}`)
        .set('X-Workspace-Id', workspaceId);

    it('reads a workspace of the user named by X-Workspace-Id, with X-Token-Expires-At', async () => {
      const res = await projects(readOnly, ws.id);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.total_count, 0);
      assert.ok(Date.parse(res.headers['x-token-expires-at']) > Date.now());
    });

    it('writes with a write grant', async () => {
      const res = await t
        .http()
        .post('/api/v1/projects')
        .set('Authorization', `Bearer ${readWrite}`)
        .set('X-Workspace-Id', ws.id)
        .send({ name: 'Via OAuth', identifier: 'via-oauth' });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal((await projects(readOnly, ws.id)).body.total_count, 1);
    });

    it('returns 403 insufficient_scope for a write with a read-only grant', async () => {
      const res = await t
        .http()
        .post('/api/v1/projects')
        .set('Authorization', `Bearer ${readOnly}`)
        .set('X-Workspace-Id', ws.id)
        .send({ name: 'Nope', identifier: 'nope' });
      assertError(res, 403, 'insufficient_scope');
      assert.match(String(res.headers['www-authenticate']), /error="insufficient_scope"/);
    });

    it('returns 403 plan_required in a workspace on the free plan', async () => {
      assertError(await projects(readWrite, freeWs.id), 403, 'plan_required');
    });

    it('returns 403 workspace_forbidden in a workspace the user does not belong to', async () => {
      const other = await createWorkspace(t, bob);
      assertError(await projects(readWrite, other.id), 403, 'workspace_forbidden');
    });

    it('returns 400 workspace_required without X-Workspace-Id', async () => {
      const res = await t.http().get('/api/v1/projects').set('Authorization', `Bearer ${readOnly}`);
      assertError(res, 400, 'workspace_required');
    });
  });

  describe('GET /oauth/token/info', () => {
    it('describes the access token (Doorkeeper shape)', async () => {
      const client = await registerClient(t, { scopes: ['read', 'write'] });
      const startedAt = Date.now();
      const before = Math.floor(startedAt / 1000);
      const { tokens } = await obtainTokens(t, as, client, alice, { scope: 'read' });
      const res = await t
        .http()
        .get('/oauth/token/info')
        .set('Authorization', `Bearer ${tokens.access_token}`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.resource_owner_id, alice.id);
      assert.deepEqual(res.body.scope, ['read']);
      // The seconds left, rounded up: 7200 for a token issued less than a second ago.
      const slack = Math.floor((Date.now() - startedAt) / 1000);
      assert.ok(
        res.body.expires_in <= 7200 && res.body.expires_in >= 7200 - slack,
        `${res.body.expires_in} (slack ${slack})`,
      );
      assert.deepEqual(res.body.application, { uid: client.clientId });
      assert.equal(typeof res.body.created_at, 'number');
      assert.ok(
        res.body.created_at >= before - 1 && res.body.created_at <= Date.now() / 1000 + 1,
        String(res.body.created_at),
      );
      assert.equal(res.headers['cache-control'], 'no-store');
    });

    it('returns 401 invalid_token without a token or for an unknown one', async () => {
      for (const req of [
        t.http().get('/oauth/token/info'),
        t.http().get('/oauth/token/info').set('Authorization', 'Bearer tso_nope'),
      ]) {
        const res = await req;
        assert.equal(res.status, 401);
        assert.equal(res.body.error, 'invalid_token');
        assert.match(String(res.headers['www-authenticate']), /^Bearer realm="tessera"/);
      }
    });
  });

  describe('the consent page', () => {
    it('sends the browser back with error=access_denied and the state when the user denies', async () => {
      const client = await registerClient(t, { scopes: ['read'] });
      const request = await authorizationRequest(as, client, { scope: 'read' });
      const callback = await new OAuthBrowser(t).authorize(request.url, alice, 'deny');
      assert.equal(`${callback.origin}${callback.pathname}`, client.redirectUris[0]);
      assert.equal(callback.searchParams.get('error'), 'access_denied');
      assert.equal(callback.searchParams.get('state'), request.state);
      assert.equal(callback.searchParams.get('code'), null);
      assert.throws(
        () => oauth.validateAuthResponse(as, client.client, callback, request.state),
        (error: unknown) =>
          error instanceof oauth.AuthorizationResponseError && error.error === 'access_denied',
      );
    });

    it('takes a browser that is already signed in straight to the consent page', async () => {
      const client = await registerClient(t, { scopes: ['read'] });
      const browser = new OAuthBrowser(t);
      await obtainTokens(t, as, client, alice, { browser });
      const again = await authorizationRequest(as, client);
      const page = await browser.open(again.url);
      assert.equal(page.status, 200);
      assert.match(page.text, /Authorize Test client/);
    });
  });
});
