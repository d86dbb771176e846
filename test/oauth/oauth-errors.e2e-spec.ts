import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oauth from 'oauth4webapi';
import { IsNull } from 'typeorm';
import { OAuthAuthorizationCode } from '../../src/oauth/entities/oauth-authorization-code.entity';
import { sha256Hex } from '../../src/tokens/token-format';
import { assertError, createUser, TestUser } from '../support/factories';
import {
  authorizationRequest,
  discover,
  hiddenFields,
  INSECURE,
  OAuthBrowser,
  oauthFailure,
  obtainCode,
  OAuthTestApp,
  REDIRECT_URI,
  registerClient,
  RegisteredClient,
  startOAuthTestApp,
} from '../support/oauth';
import { basicAuth } from '../support/test-app';

describe('OAuth2 error responses (RFC 6749 §4.1.2.1, §5.2; RFC 7636)', () => {
  let t: OAuthTestApp;
  let as: oauth.AuthorizationServer;
  let confidential: RegisteredClient;
  let publicClient: RegisteredClient;
  let alice: TestUser;
  /** Signed in as alice. */
  let browser: OAuthBrowser;

  before(async () => {
    t = await startOAuthTestApp();
    as = await discover(t);
    confidential = await registerClient(t, {
      scopes: ['read', 'write'],
      redirectUris: [REDIRECT_URI, 'https://client.example.test/other'],
    });
    publicClient = await registerClient(t, { scopes: ['read'], confidential: false });
    alice = await createUser(t);
    browser = new OAuthBrowser(t);
    await browser.signIn(alice);
  });
  after(() => t.close());

  const me = (accessToken: string) =>
    t.http().get('/api/v1/me').set('Authorization', `Bearer ${accessToken}`);

  async function codeCount(client: RegisteredClient): Promise<number> {
    return t.dataSource
      .getRepository(OAuthAuthorizationCode)
      .countBy({ applicationId: client.id, consumedAt: IsNull() });
  }

  /** The authorization error the browser was redirected with, checked by oauth4webapi. */
  function redirectError(
    client: RegisteredClient,
    location: string | undefined,
    state: string,
  ): string {
    assert.ok(location, 'expected a redirect to the client');
    const url = new URL(location);
    assert.equal(`${url.origin}${url.pathname}`, client.redirectUris[0]);
    assert.equal(url.searchParams.get('code'), null);
    assert.ok(url.searchParams.get('error_description'), 'with a description');
    try {
      oauth.validateAuthResponse(as, client.client, url, state);
    } catch (error) {
      if (error instanceof oauth.AuthorizationResponseError) {
        return error.error;
      }
      throw error;
    }
    assert.fail(`expected an error response, got ${location}`);
  }

  describe('GET /oauth/authorize: requests that must not redirect (a 400 page instead)', () => {
    it('shows 400 for a redirect_uri that is not registered, without redirecting', async () => {
      for (const redirectUri of [
        'https://evil.example/callback',
        `${REDIRECT_URI}/more`,
        `${REDIRECT_URI}?extra=1`,
        'https://CLIENT.example.test/callback',
      ]) {
        const request = await authorizationRequest(as, confidential, { redirectUri });
        const res = await browser.get(request.url);
        assert.equal(res.status, 400, `${redirectUri}: ${res.status}`);
        assert.equal(res.location, undefined);
        assert.match(String(res.headers['content-type']), /text\/html/);
        assert.match(res.text, /redirect_uri does not match/);
      }
    });

    it('shows 400 without a redirect_uri', async () => {
      const request = await authorizationRequest(as, confidential);
      request.url.searchParams.delete('redirect_uri');
      const res = await browser.get(request.url);
      assert.equal(res.status, 400);
      assert.equal(res.location, undefined);
      assert.match(res.text, /no redirect_uri/);
    });

    it('shows 400 for an unknown client_id', async () => {
      const request = await authorizationRequest(as, confidential);
      request.url.searchParams.set('client_id', 'tsc_doesnotexist000000000000');
      const res = await browser.get(request.url);
      assert.equal(res.status, 400);
      assert.equal(res.location, undefined);
      assert.match(res.text, /unknown client_id/);
    });

    it('shows 400 without a client_id', async () => {
      const request = await authorizationRequest(as, confidential);
      request.url.searchParams.delete('client_id');
      const res = await browser.get(request.url);
      assert.equal(res.status, 400);
      assert.equal(res.location, undefined);
      assert.match(res.text, /client_id is missing/);
    });

    it('shows 400 for a client_id or a redirect_uri sent twice (RFC 6749 §3.1)', async () => {
      for (const [name, pattern] of [
        ['client_id', /more than one client_id/],
        ['redirect_uri', /more than one redirect_uri/],
      ] as const) {
        const request = await authorizationRequest(as, confidential);
        request.url.searchParams.append(name, request.url.searchParams.get(name) as string);
        const res = await browser.get(request.url);
        assert.equal(res.status, 400, name);
        assert.equal(res.location, undefined);
        assert.match(res.text, pattern);
      }
    });
  });

  describe('GET /oauth/authorize: errors sent back to the client with the state', () => {
    it('redirects with invalid_request when a public client sends no code_challenge', async () => {
      const request = await authorizationRequest(as, publicClient);
      request.url.searchParams.delete('code_challenge');
      request.url.searchParams.delete('code_challenge_method');
      const res = await browser.get(request.url);
      assert.equal(res.status, 303);
      assert.equal(redirectError(publicClient, res.location, request.state), 'invalid_request');
    });

    it('redirects with invalid_request for code_challenge_method=plain', async () => {
      for (const client of [publicClient, confidential]) {
        const request = await authorizationRequest(as, client);
        request.url.searchParams.set('code_challenge_method', 'plain');
        const res = await browser.get(request.url);
        assert.equal(res.status, 303);
        assert.equal(redirectError(client, res.location, request.state), 'invalid_request');
      }
    });

    it('redirects with invalid_request for a code_challenge without a method', async () => {
      const request = await authorizationRequest(as, publicClient);
      request.url.searchParams.delete('code_challenge_method');
      const res = await browser.get(request.url);
      assert.equal(res.status, 303);
      assert.equal(redirectError(publicClient, res.location, request.state), 'invalid_request');
    });

    it('redirects with invalid_scope for a scope the application may not ask for', async () => {
      for (const scope of ['read write', 'admin', 'banana']) {
        const request = await authorizationRequest(as, publicClient, { scope });
        const res = await browser.get(request.url);
        assert.equal(res.status, 303, scope);
        assert.equal(redirectError(publicClient, res.location, request.state), 'invalid_scope');
      }
    });

    it('redirects with invalid_request without a response_type (a missing parameter)', async () => {
      for (const value of [null, '']) {
        const request = await authorizationRequest(as, confidential);
        if (value === null) {
          request.url.searchParams.delete('response_type');
        } else {
          request.url.searchParams.set('response_type', value);
        }
        const res = await browser.get(request.url);
        assert.equal(res.status, 303, String(value));
        assert.equal(redirectError(confidential, res.location, request.state), 'invalid_request');
        assert.match(
          new URL(res.location as string).searchParams.get('error_description') ?? '',
          /response_type/,
        );
      }
    });

    it('redirects with invalid_request for a parameter sent twice (RFC 6749 §3.1)', async () => {
      for (const name of ['response_type', 'scope', 'code_challenge', 'code_challenge_method']) {
        const request = await authorizationRequest(as, confidential, { scope: 'read' });
        request.url.searchParams.append(name, request.url.searchParams.get(name) as string);
        const res = await browser.get(request.url);
        assert.equal(res.status, 303, name);
        assert.equal(redirectError(confidential, res.location, request.state), 'invalid_request');
      }
    });

    it('redirects with invalid_request for a code_challenge_method without code_challenge', async () => {
      const request = await authorizationRequest(as, confidential);
      request.url.searchParams.delete('code_challenge');
      const res = await browser.get(request.url);
      assert.equal(res.status, 303);
      assert.equal(redirectError(confidential, res.location, request.state), 'invalid_request');
    });

    it('redirects with invalid_request for a code_challenge that no S256 verifier can match', async () => {
      const valid = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
      for (const challenge of [`${valid}A`, `${valid}=`, valid.slice(1), `${valid.slice(1)}.`]) {
        for (const client of [publicClient, confidential]) {
          const request = await authorizationRequest(as, client);
          request.url.searchParams.set('code_challenge', challenge);
          const res = await browser.get(request.url);
          assert.equal(res.status, 303, challenge);
          assert.equal(redirectError(client, res.location, request.state), 'invalid_request');
        }
      }
    });

    it('redirects with unsupported_response_type for response_type=token', async () => {
      const request = await authorizationRequest(as, confidential);
      request.url.searchParams.set('response_type', 'token');
      const res = await browser.get(request.url);
      assert.equal(res.status, 303);
      assert.equal(
        redirectError(confidential, res.location, request.state),
        'unsupported_response_type',
      );
    });
  });

  describe('POST /oauth/authorize', () => {
    it('returns 403 without the CSRF token, issues no code and does not redirect', async () => {
      const request = await authorizationRequest(as, confidential);
      const consent = await browser.open(request.url);
      assert.equal(consent.status, 200);
      const fields = hiddenFields(consent.text, '/oauth/authorize');
      delete fields._csrf;
      const before = await codeCount(confidential);
      const res = await browser.postForm('/oauth/authorize', { ...fields, decision: 'approve' });
      assert.equal(res.status, 403, res.text);
      assert.equal(res.location, undefined);
      assert.equal(await codeCount(confidential), before);
    });

    it("returns 403 with another session's CSRF token", async () => {
      const other = new OAuthBrowser(t);
      await other.signIn(alice);
      const request = await authorizationRequest(as, confidential);
      const mine = hiddenFields((await browser.open(request.url)).text, '/oauth/authorize');
      const theirs = hiddenFields((await other.open(request.url)).text, '/oauth/authorize');
      assert.notEqual(mine._csrf, theirs._csrf);
      const res = await browser.postForm('/oauth/authorize', {
        ...mine,
        _csrf: theirs._csrf,
        decision: 'approve',
      });
      assert.equal(res.status, 403);
      assert.equal(res.location, undefined);
    });

    it('checks the posted fields again: a tampered redirect_uri gets the 400 page', async () => {
      const request = await authorizationRequest(as, confidential);
      const fields = hiddenFields((await browser.open(request.url)).text, '/oauth/authorize');
      const res = await browser.postForm('/oauth/authorize', {
        ...fields,
        redirect_uri: 'https://evil.example/callback',
        decision: 'approve',
      });
      assert.equal(res.status, 400);
      assert.equal(res.location, undefined);
    });

    it('checks the posted fields again: a widened scope is refused with invalid_scope', async () => {
      const request = await authorizationRequest(as, publicClient, { scope: 'read' });
      const fields = hiddenFields((await browser.open(request.url)).text, '/oauth/authorize');
      const res = await browser.postForm('/oauth/authorize', {
        ...fields,
        scope: 'read admin',
        decision: 'approve',
      });
      assert.equal(res.status, 303);
      assert.equal(redirectError(publicClient, res.location, request.state), 'invalid_scope');
    });
  });

  describe('POST /oauth/token', () => {
    async function exchange(
      client: RegisteredClient,
      params: URLSearchParams,
      redirectUri: string,
      codeVerifier: string | typeof oauth.nopkce,
      auth: oauth.ClientAuth = client.auth,
    ): Promise<oauth.TokenEndpointResponse> {
      const response = await oauth.authorizationCodeGrantRequest(
        as,
        client.client,
        auth,
        params,
        redirectUri,
        codeVerifier,
        INSECURE,
      );
      return oauth.processAuthorizationCodeResponse(as, client.client, response);
    }

    it('returns 401 invalid_client for a wrong client secret (Basic, with a challenge, and post)', async () => {
      for (const auth of [
        oauth.ClientSecretBasic('tss_wrong'),
        oauth.ClientSecretPost('tss_wrong'),
        oauth.None(),
      ]) {
        const { request, params } = await obtainCode(t, as, confidential, alice, { browser });
        const failure = await oauthFailure(
          exchange(confidential, params, request.redirectUri, request.codeVerifier, auth),
        );
        assert.deepEqual([failure.status, failure.error], [401, 'invalid_client']);
      }
      const res = await t
        .http()
        .post('/oauth/token')
        .set('Authorization', basicAuth(confidential.clientId, 'tss_wrong'))
        .type('form')
        .send({ grant_type: 'authorization_code', code: 'x', redirect_uri: REDIRECT_URI });
      assert.equal(res.status, 401);
      assert.equal(res.body.error, 'invalid_client');
      assert.match(String(res.headers['www-authenticate']), /^Basic /);
    });

    it('accepts Basic credentials that were not form-urlencoded too (curl -u)', async () => {
      const { request, params } = await obtainCode(t, as, confidential, alice, { browser });
      const res = await t
        .http()
        .post('/oauth/token')
        .set('Authorization', basicAuth(confidential.clientId, confidential.clientSecret as string))
        .type('form')
        .send({
          grant_type: 'authorization_code',
          code: params.get('code'),
          redirect_uri: request.redirectUri,
          code_verifier: request.codeVerifier,
        });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.match(res.body.access_token, /^tso_/);
    });

    it('returns 401 invalid_client, never 5xx, for Basic credentials with bad percent-encoding', async () => {
      const header = `Basic ${Buffer.from(`${confidential.clientId}:%ZZ`).toString('base64')}`;
      for (const path of ['/oauth/token', '/oauth/revoke', '/oauth/introspect']) {
        const res = await t
          .http()
          .post(path)
          .set('Authorization', header)
          .type('form')
          .send({ grant_type: 'refresh_token', refresh_token: 'x', token: 'x' });
        assert.equal(res.status, 401, `${path}: ${res.status} ${res.text}`);
        assert.equal(res.body.error, 'invalid_client');
      }
    });

    it('returns 400 invalid_request for a JSON body (RFC 6749 §3.2 wants a form)', async () => {
      const res = await t
        .http()
        .post('/oauth/token')
        .set('Authorization', basicAuth(confidential.clientId, confidential.clientSecret as string))
        .send({ grant_type: 'refresh_token', refresh_token: 'x' });
      assert.equal(res.status, 400);
      assert.equal(res.body.error, 'invalid_request');
    });

    it('refuses a used code with invalid_grant and revokes the tokens of its first use', async () => {
      const { request, params } = await obtainCode(t, as, confidential, alice, { browser });
      const tokens = await exchange(
        confidential,
        params,
        request.redirectUri,
        request.codeVerifier,
      );
      assert.equal((await me(tokens.access_token)).status, 200);

      const replay = await oauthFailure(
        exchange(confidential, params, request.redirectUri, request.codeVerifier),
      );
      assert.deepEqual([replay.status, replay.error], [400, 'invalid_grant']);
      assertError(await me(tokens.access_token), 401, 'token_revoked');
      const refresh = await oauthFailure(
        oauth
          .refreshTokenGrantRequest(
            as,
            confidential.client,
            confidential.auth,
            tokens.refresh_token as string,
            INSECURE,
          )
          .then((r) => oauth.processRefreshTokenResponse(as, confidential.client, r)),
      );
      assert.equal(refresh.error, 'invalid_grant');
    });

    it('refuses an expired code with invalid_grant', async () => {
      const { request, params } = await obtainCode(t, as, confidential, alice, { browser });
      const result = await t.dataSource
        .getRepository(OAuthAuthorizationCode)
        .update(
          { codeHash: sha256Hex(params.get('code') as string) },
          { expiresAt: new Date(Date.now() - 5000) },
        );
      assert.equal(result.affected, 1);
      const failure = await oauthFailure(
        exchange(confidential, params, request.redirectUri, request.codeVerifier),
      );
      assert.deepEqual([failure.status, failure.error], [400, 'invalid_grant']);
    });

    it('issues codes that expire within a minute', async () => {
      const { params } = await obtainCode(t, as, confidential, alice, { browser });
      const row = await t.dataSource
        .getRepository(OAuthAuthorizationCode)
        .findOneByOrFail({ codeHash: sha256Hex(params.get('code') as string) });
      assert.ok(row.expiresAt.getTime() <= Date.now() + 61_000, row.expiresAt.toISOString());
      assert.equal(row.codeChallengeMethod, 'S256');
    });

    it('refuses a wrong code_verifier with invalid_grant, and the code is spent', async () => {
      for (const client of [confidential, publicClient]) {
        const { request, params } = await obtainCode(t, as, client, alice, { browser });
        const wrong = await oauthFailure(
          exchange(client, params, request.redirectUri, oauth.generateRandomCodeVerifier()),
        );
        assert.deepEqual([wrong.status, wrong.error], [400, 'invalid_grant']);
        // A failed attempt consumes the code: no guessing the verifier online.
        const right = await oauthFailure(
          exchange(client, params, request.redirectUri, request.codeVerifier),
        );
        assert.deepEqual([right.status, right.error], [400, 'invalid_grant']);
      }
    });

    it('refuses an exchange without the code_verifier of a PKCE code with invalid_grant', async () => {
      const { request, params } = await obtainCode(t, as, publicClient, alice, { browser });
      const failure = await oauthFailure(
        exchange(publicClient, params, request.redirectUri, oauth.nopkce),
      );
      assert.deepEqual([failure.status, failure.error], [400, 'invalid_grant']);
    });

    it("refuses another client's code with invalid_grant", async () => {
      const { request, params } = await obtainCode(t, as, publicClient, alice, { browser });
      const failure = await oauthFailure(
        exchange(confidential, params, request.redirectUri, request.codeVerifier),
      );
      assert.deepEqual([failure.status, failure.error], [400, 'invalid_grant']);
    });

    it('refuses a redirect_uri other than the authorization request’s with invalid_grant (RFC 6749 §4.1.3, §5.2)', async () => {
      const { request, params } = await obtainCode(t, as, confidential, alice, { browser });
      // Registered for the client, but not the one this code was issued for.
      const failure = await oauthFailure(
        exchange(confidential, params, confidential.redirectUris[1], request.codeVerifier),
      );
      assert.deepEqual([failure.status, failure.error], [400, 'invalid_grant']);
    });

    it('refuses a missing redirect_uri with invalid_request (RFC 6749 §4.1.3)', async () => {
      const { request, params } = await obtainCode(t, as, confidential, alice, { browser });
      const res = await t
        .http()
        .post('/oauth/token')
        .set('Authorization', basicAuth(confidential.clientId, confidential.clientSecret as string))
        .type('form')
        .send({
          grant_type: 'authorization_code',
          code: params.get('code'),
          code_verifier: request.codeVerifier,
        });
      assert.equal(res.status, 400);
      assert.equal(res.body.error, 'invalid_request');
    });

    it('refuses an unknown code with invalid_grant', async () => {
      const params = oauth.validateAuthResponse(
        as,
        confidential.client,
        new URL(
          `${REDIRECT_URI}?code=nonexistentcode0000000000000000000000000&iss=${encodeURIComponent(as.issuer)}`,
        ),
        oauth.expectNoState,
      );
      const failure = await oauthFailure(
        exchange(confidential, params, REDIRECT_URI, oauth.generateRandomCodeVerifier()),
      );
      assert.deepEqual([failure.status, failure.error], [400, 'invalid_grant']);
    });

    it('refuses a code of a user locked since with invalid_grant', async () => {
      const bob = await createUser(t);
      const { request, params } = await obtainCode(t, as, confidential, bob);
      const lock = await t
        .http()
        .patch(`/api/v1/admin/users/${bob.id}`)
        .set('Authorization', t.adminBasic)
        .send({ status: 'locked' });
      assert.equal(lock.status, 200);
      const failure = await oauthFailure(
        exchange(confidential, params, request.redirectUri, request.codeVerifier),
      );
      assert.deepEqual([failure.status, failure.error], [400, 'invalid_grant']);
    });

    it('returns unsupported_grant_type for grants the server does not offer', async () => {
      const credentials = await oauthFailure(
        oauth
          .clientCredentialsGrantRequest(as, confidential.client, confidential.auth, {}, INSECURE)
          .then((r) => oauth.processClientCredentialsResponse(as, confidential.client, r)),
      );
      assert.deepEqual([credentials.status, credentials.error], [400, 'unsupported_grant_type']);
      const password = await oauthFailure(
        oauth
          .genericTokenEndpointRequest(
            as,
            confidential.client,
            confidential.auth,
            'password',
            { username: alice.username, password: alice.password },
            INSECURE,
          )
          .then((r) => oauth.processGenericTokenEndpointResponse(as, confidential.client, r)),
      );
      assert.deepEqual([password.status, password.error], [400, 'unsupported_grant_type']);
    });

    it('returns invalid_request without a grant_type', async () => {
      const res = await t
        .http()
        .post('/oauth/token')
        .set('Authorization', basicAuth(confidential.clientId, confidential.clientSecret as string))
        .type('form')
        .send({ code: 'x' });
      assert.equal(res.status, 400);
      assert.equal(res.body.error, 'invalid_request');
      assert.equal(res.headers['cache-control'], 'no-store');
    });
  });
});
