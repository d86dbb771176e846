import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oauth from 'oauth4webapi';
import { createUser, TestUser } from '../support/factories';
import {
  authorizationRequest,
  discover,
  INSECURE,
  OAuthBrowser,
  oauthFailure,
  obtainTokens,
  OAuthTestApp,
  registerClient,
  RegisteredClient,
  startOAuthTestApp,
} from '../support/oauth';

/** Findings of the security review on the authorization server (issue 13, items 7 and 13). */
describe('OAuth2 hardening: refused refreshes, loopback redirects, iss, revocation', () => {
  let t: OAuthTestApp;
  let as: oauth.AuthorizationServer;
  let client: RegisteredClient;
  let otherClient: RegisteredClient;
  let nativeApp: RegisteredClient;
  let localhostApp: RegisteredClient;
  let alice: TestUser;
  let browser: OAuthBrowser;

  before(async () => {
    t = await startOAuthTestApp();
    as = await discover(t);
    client = await registerClient(t, { scopes: ['read', 'write'] });
    otherClient = await registerClient(t, { scopes: ['read', 'write'], name: 'Other client' });
    nativeApp = await registerClient(t, {
      scopes: ['read'],
      confidential: false,
      name: 'Desktop app',
      redirectUris: ['http://127.0.0.1/callback', 'http://[::1]/callback'],
    });
    localhostApp = await registerClient(t, {
      scopes: ['read'],
      confidential: false,
      name: 'Localhost app',
      redirectUris: ['http://localhost/callback', 'http://localhost:8080/callback'],
    });
    alice = await createUser(t);
    browser = new OAuthBrowser(t);
    await browser.signIn(alice);
  });
  after(() => t.close());

  const me = (accessToken: string) =>
    t.http().get('/api/v1/me').set('Authorization', `Bearer ${accessToken}`);

  function refresh(refreshToken: string, scope?: string): Promise<oauth.TokenEndpointResponse> {
    const extra = scope === undefined ? undefined : new URLSearchParams({ scope });
    return oauth
      .refreshTokenGrantRequest(as, client.client, client.auth, refreshToken, {
        ...INSECURE,
        additionalParameters: extra,
      })
      .then((response) => oauth.processRefreshTokenResponse(as, client.client, response));
  }

  describe('a refresh asking for a wider scope (RFC 6749 §6)', () => {
    it('is refused with invalid_scope and leaves the refresh token and the grant usable', async () => {
      const { tokens } = await obtainTokens(t, as, client, alice, { scope: 'read' });
      const refused = await oauthFailure(refresh(tokens.refresh_token as string, 'read write'));
      assert.deepEqual([refused.status, refused.error], [400, 'invalid_scope']);
      // The grant was not treated as leaked: its access token still works …
      assert.equal((await me(tokens.access_token)).status, 200);
      // … and the correct retry with the same refresh token succeeds.
      const next = await refresh(tokens.refresh_token as string, 'read');
      assert.equal(next.scope, 'read');
      assert.equal((await me(next.access_token)).status, 200);
    });

    it('still revokes the whole grant when a used refresh token comes back', async () => {
      const { tokens } = await obtainTokens(t, as, client, alice, { scope: 'read' });
      const next = await refresh(tokens.refresh_token as string);
      const reuse = await oauthFailure(refresh(tokens.refresh_token as string));
      assert.equal(reuse.error, 'invalid_grant');
      assert.equal((await me(next.access_token)).status, 401);
    });
  });

  describe('loopback redirect URIs of native apps (RFC 8252 §7.3)', () => {
    for (const redirectUri of ['http://127.0.0.1:51234/callback', 'http://[::1]:8080/callback']) {
      it(`accepts ${redirectUri} for a registered port-less loopback URI, through to the tokens`, async () => {
        const request = await authorizationRequest(as, nativeApp, { redirectUri });
        const callback = await browser.authorize(request.url, alice);
        assert.equal(`${callback.origin}${callback.pathname}`, redirectUri);
        const params = oauth.validateAuthResponse(as, nativeApp.client, callback, request.state);
        const response = await oauth.authorizationCodeGrantRequest(
          as,
          nativeApp.client,
          nativeApp.auth,
          params,
          redirectUri,
          request.codeVerifier,
          INSECURE,
        );
        const tokens = await oauth.processAuthorizationCodeResponse(as, nativeApp.client, response);
        assert.equal((await me(tokens.access_token)).status, 200);
      });
    }

    for (const redirectUri of [
      'http://127.0.0.1:51234/other', // another path
      'http://127.0.0.1:51234/callback?x=1', // another query
      'http://localhost:51234/callback', // another host than the one registered
      'https://127.0.0.1:51234/callback', // another scheme
      'https://client.example.test:8443/callback', // only loopback ports may vary
    ]) {
      it(`refuses ${redirectUri} with the 400 page, without redirecting`, async () => {
        const target = redirectUri.startsWith('https://client') ? client : nativeApp;
        const request = await authorizationRequest(as, target, { redirectUri });
        const res = await browser.get(request.url);
        assert.equal(res.status, 400);
        assert.equal(res.location, undefined);
      });
    }

    // `localhost` is a name, not a loopback IP literal: it is matched exactly (RFC 8252 §8.3).
    for (const redirectUri of [
      'http://localhost:51234/callback', // registered without a port
      'http://localhost:8081/callback', // registered with another port
    ]) {
      it(`refuses ${redirectUri} for a registered localhost URI: only IP literals vary the port`, async () => {
        const request = await authorizationRequest(as, localhostApp, { redirectUri });
        const res = await browser.get(request.url);
        assert.equal(res.status, 400);
        assert.equal(res.location, undefined);
        assert.match(res.text, /redirect_uri does not match/);
      });
    }

    for (const redirectUri of ['http://localhost/callback', 'http://localhost:8080/callback']) {
      it(`accepts ${redirectUri} exactly as registered`, async () => {
        const request = await authorizationRequest(as, localhostApp, { redirectUri });
        const callback = await browser.authorize(request.url, alice);
        assert.equal(`${callback.origin}${callback.pathname}`, redirectUri);
        assert.ok(callback.searchParams.get('code'));
      });
    }
  });

  describe('the issuer in authorization responses (RFC 9207)', () => {
    it('is announced in the metadata', () => {
      assert.equal(as.authorization_response_iss_parameter_supported, true);
    });

    it('comes with a code and with an error', async () => {
      const approved = await authorizationRequest(as, client);
      const callback = await browser.authorize(approved.url, alice);
      assert.equal(callback.searchParams.get('iss'), as.issuer);
      assert.ok(callback.searchParams.get('code'));

      const denied = await authorizationRequest(as, client);
      const refusal = await browser.authorize(denied.url, alice, 'deny');
      assert.equal(refusal.searchParams.get('error'), 'access_denied');
      assert.equal(refusal.searchParams.get('iss'), as.issuer);

      const unsupported = await authorizationRequest(as, client, {
        extra: { response_type: 'token' },
      });
      const redirected = await browser.get(unsupported.url);
      assert.equal(redirected.status, 303);
      const location = new URL(redirected.location as string);
      assert.equal(location.searchParams.get('error'), 'unsupported_response_type');
      assert.equal(location.searchParams.get('iss'), as.issuer);
    });
  });

  describe('POST /oauth/revoke with another client’s token (RFC 7009 §2.1)', () => {
    it('is refused with 400 unauthorized_client, and the token keeps working', async () => {
      const { tokens } = await obtainTokens(t, as, client, alice);
      const response = await oauth.revocationRequest(
        as,
        otherClient.client,
        otherClient.auth,
        tokens.access_token,
        INSECURE,
      );
      const failure = await oauthFailure(oauth.processRevocationResponse(response));
      assert.deepEqual([failure.status, failure.error], [400, 'unauthorized_client']);
      assert.match(failure.description ?? '', /not issued to this client/);
      assert.equal((await me(tokens.access_token)).status, 200, 'still valid');
    });
  });
});
