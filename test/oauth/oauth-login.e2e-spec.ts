import { totpCode } from '../support/factories';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oauth from 'oauth4webapi';
import { createUser, TestUser } from '../support/factories';
import {
  authorizationRequest,
  discover,
  enableTwoFactor,
  hiddenFields,
  INSECURE,
  OAuthBrowser,
  OAuthTestApp,
  registerClient,
  RegisteredClient,
  sessionCookie,
  startOAuthTestApp,
  wrongTotpCode,
} from '../support/oauth';

describe('Sign-in for the OAuth consent flow (SPEC §9, §10)', () => {
  let t: OAuthTestApp;
  let as: oauth.AuthorizationServer;
  let client: RegisteredClient;
  let alice: TestUser;

  before(async () => {
    t = await startOAuthTestApp();
    as = await discover(t);
    client = await registerClient(t, { scopes: ['read'] });
    alice = await createUser(t);
  });
  after(() => t.close());

  describe('GET /oauth/authorize without a session', () => {
    it('sends the browser to /login with return_to set to the authorization request', async () => {
      const request = await authorizationRequest(as, client);
      const res = await new OAuthBrowser(t).get(request.url);
      assert.equal(res.status, 303);
      const location = new URL(res.location as string, t.issuer);
      assert.equal(location.pathname, '/login');
      assert.equal(
        location.searchParams.get('return_to'),
        `${request.url.pathname}${request.url.search}`,
      );
    });
  });

  describe('POST /login', () => {
    it('refuses a wrong password with 401 and the form again, and stays signed out', async () => {
      const browser = new OAuthBrowser(t);
      const res = await browser.submitLogin({ username: alice.username, password: 'wrong-pw' });
      assert.equal(res.status, 401);
      assert.match(res.text, /The username or password is wrong/);
      assert.ok(hiddenFields(res.text, '/login')._csrf, 'the form comes back with a CSRF token');
      const request = await authorizationRequest(as, client);
      const again = await browser.get(request.url);
      assert.equal(again.status, 303);
      assert.match(again.location as string, /^\/login\?/);
    });

    it('returns 403 without a CSRF token, and does not sign in', async () => {
      const browser = new OAuthBrowser(t);
      const page = await browser.get('/login');
      assert.equal(page.status, 200);
      const res = await browser.postForm('/login', {
        login: alice.username,
        password: alice.password,
        code: '',
        return_to: '/',
      });
      assert.equal(res.status, 403, res.text);
      assert.equal(res.location, undefined);
      const request = await authorizationRequest(as, client);
      assert.equal((await browser.get(request.url)).status, 303, 'still signed out');
    });

    it('returns 403 for a CSRF token of another session', async () => {
      const mine = new OAuthBrowser(t);
      const theirs = new OAuthBrowser(t);
      await mine.get('/login');
      const foreign = hiddenFields((await theirs.get('/login')).text, '/login');
      const res = await mine.postForm('/login', {
        ...foreign,
        login: alice.username,
        password: alice.password,
        code: '',
      });
      assert.equal(res.status, 403, res.text);
      assert.equal(res.location, undefined);
    });

    it('never redirects to another site after sign-in (return_to must be a local path)', async () => {
      for (const returnTo of ['https://evil.example/', '//evil.example/x', '/\\evil.example']) {
        const res = await new OAuthBrowser(t).submitLogin(alice, { returnTo });
        assert.equal(res.status, 303, res.text);
        assert.equal(res.location, '/', returnTo);
      }
    });
  });

  describe('a user with two-factor authentication', () => {
    let bob: TestUser;
    let secret: string;

    before(async () => {
      bob = await createUser(t);
      secret = await enableTwoFactor(t, bob);
    });

    it('is asked for the code (401) when it is missing, and is not signed in', async () => {
      const browser = new OAuthBrowser(t);
      const res = await browser.submitLogin(bob);
      assert.equal(res.status, 401);
      assert.match(res.text, /Enter the 6-digit code from your authenticator app/);
      assert.match(res.text, /<input id="code" name="code"[^>]*required>/);
      const request = await authorizationRequest(as, client);
      assert.equal((await browser.get(request.url)).status, 303, 'still signed out');
    });

    it('is refused with a wrong code (401)', async () => {
      const browser = new OAuthBrowser(t);
      const res = await browser.submitLogin(bob, { code: await wrongTotpCode(secret) });
      assert.equal(res.status, 401);
      assert.match(res.text, /The two-factor code is wrong or expired/);
      const request = await authorizationRequest(as, client);
      assert.equal((await browser.get(request.url)).status, 303, 'still signed out');
    });

    it('is refused with a code that is not 6 digits', async () => {
      const res = await new OAuthBrowser(t).submitLogin(bob, { code: 'abcdef' });
      assert.equal(res.status, 401);
      assert.match(res.text, /The two-factor code is wrong or expired/);
    });

    it('signs in with the current code and completes the authorization', async () => {
      const request = await authorizationRequest(as, client, { scope: 'read' });
      const browser = new OAuthBrowser(t);
      const first = await browser.get(request.url);
      const returnTo = new URL(first.location as string, t.issuer).searchParams.get('return_to');
      const login = await browser.submitLogin(bob, {
        code: await totpCode(secret),
        returnTo: returnTo as string,
      });
      assert.equal(login.status, 303, login.text);
      assert.equal(login.location, returnTo);
      const consent = await browser.get(login.location);
      assert.equal(consent.status, 200, consent.text);
      const callback = await browser.decide(consent, 'approve');
      assert.equal(callback.status, 303);
      const params = oauth.validateAuthResponse(
        as,
        client.client,
        new URL(callback.location as string),
        request.state,
      );
      const tokens = await oauth.processAuthorizationCodeResponse(
        as,
        client.client,
        await oauth.authorizationCodeGrantRequest(
          as,
          client.client,
          client.auth,
          params,
          request.redirectUri,
          request.codeVerifier,
          INSECURE,
        ),
      );
      const me = await t
        .http()
        .get('/api/v1/me')
        .set('Authorization', `Bearer ${tokens.access_token}`);
      assert.equal(me.status, 200);
      assert.equal(me.body.id, bob.id);
      assert.equal(me.body.auth.method, 'oauth');
    });
  });

  describe('the session cookie and page headers', () => {
    it('sets tessera_session as HttpOnly and SameSite=Lax', async () => {
      const res = await new OAuthBrowser(t).get('/login');
      const cookie = sessionCookie(res.headers);
      assert.ok(
        cookie,
        `no tessera_session cookie in ${JSON.stringify(res.headers['set-cookie'])}`,
      );
      assert.match(cookie, /;\s*HttpOnly/i);
      assert.match(cookie, /;\s*SameSite=Lax/i);
      assert.match(cookie, /;\s*Path=\//i);
    });

    it('sets a new session cookie, with the same flags, on sign-in', async () => {
      const browser = new OAuthBrowser(t);
      const res = await browser.submitLogin(alice);
      assert.equal(res.status, 303);
      const cookie = sessionCookie(res.headers);
      assert.ok(cookie, 'sign-in sets the session cookie');
      assert.match(cookie, /;\s*HttpOnly/i);
      assert.match(cookie, /;\s*SameSite=Lax/i);
    });

    it('serves /login with a Content-Security-Policy that forbids framing, and no-store', async () => {
      const browser = new OAuthBrowser(t);
      const page = await browser.get('/login');
      const failed = await browser.submitLogin({ username: alice.username, password: 'nope' });
      for (const res of [page, failed]) {
        const csp = String(res.headers['content-security-policy']);
        assert.match(csp, /default-src 'self'/);
        assert.match(csp, /frame-ancestors 'none'/);
        assert.match(csp, /script-src 'self'/);
        assert.equal(res.headers['cache-control'], 'no-store');
        assert.match(String(res.headers['content-type']), /text\/html/);
      }
    });

    it('serves the consent page with the same Content-Security-Policy', async () => {
      const request = await authorizationRequest(as, client);
      const consent = await new OAuthBrowser(t).open(request.url, alice);
      assert.equal(consent.status, 200);
      assert.match(String(consent.headers['content-security-policy']), /frame-ancestors 'none'/);
    });
  });
});
