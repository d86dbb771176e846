import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createUser, createWorkspace, TestUser, TestWorkspace } from '../support/factories';
import {
  authorizationRequest,
  discover,
  hiddenFields,
  OAuthBrowser,
  OAuthTestApp,
  registerClient,
  sessionCookie,
  startOAuthTestApp,
} from '../support/oauth';
import { postForm } from './web-helpers';

// Issue 13 item 3: CSRF, Cache-Control: no-store and the JSON-only 415 are decided on the route
// the router matched, not on the raw request target: a percent-encoded path or an absolute-form
// target reaches the same route, so it must get the same checks.

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

describe('decisions on the routed path (issue 13 item 3)', () => {
  let t: OAuthTestApp;
  let alice: TestUser;
  let acme: TestWorkspace;
  let port: number;

  /** A request with exactly this request target (supertest would normalise it). */
  const raw = (
    method: string,
    target: string,
    headers: Record<string, string>,
    body = '',
  ): Promise<RawResponse> =>
    new Promise((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          method,
          path: target,
          headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });

  /** A signed-in browser's cookie (name=value) and a valid CSRF token of its session. */
  const signedInCookie = async (): Promise<string> => {
    const browser = new OAuthBrowser(t);
    const res = await browser.submitLogin(alice);
    assert.equal(res.status, 303, res.text);
    const cookie = sessionCookie(res.headers).split(';')[0];
    assert.ok(cookie, 'sign-in sets the session cookie');
    return cookie;
  };

  const tokenForm = (): string =>
    new URLSearchParams({
      name: 'csrf-less token',
      workspace: acme.id,
      scopes: 'read',
      expires_in: '30',
    }).toString();

  const FORM = 'application/x-www-form-urlencoded';

  before(async () => {
    t = await startOAuthTestApp();
    port = (t.app.getHttpServer().address() as AddressInfo).port;
    alice = await createUser(t);
    acme = await createWorkspace(t, alice, { plan: 'enterprise' });
  });
  after(() => t.close());

  describe('CSRF', () => {
    for (const target of ['/%61ccount/tokens', 'http://127.0.0.1/account/tokens']) {
      it(`POST ${target} without a CSRF token creates no token (403 page)`, async () => {
        const cookie = await signedInCookie();
        const res = await raw(
          'POST',
          target,
          { Cookie: cookie, 'Content-Type': FORM },
          tokenForm(),
        );
        assert.equal(res.status, 403, res.text);
        assert.match(String(res.headers['content-type']), /text\/html/);
        assert.doesNotMatch(res.text, /new-secret/, 'no token secret is shown');
      });
    }

    it('POST /account/tokens with a valid CSRF token still works', async () => {
      const browser = new OAuthBrowser(t);
      await browser.signIn(alice);
      const page = await browser.get('/account/tokens');
      const res = await postForm(browser, '/account/tokens', {
        ...hiddenFields(page.text, '/account/tokens'),
        name: 'with csrf',
        workspace: acme.id,
        scopes: 'read',
        expires_in: '30',
      });
      assert.equal(res.status, 201, res.text);
    });

    for (const target of ['/oauth/%61uthorize', 'http://127.0.0.1/oauth/authorize']) {
      it(`POST ${target} decision=approve without a CSRF token grants nothing`, async () => {
        const as = await discover(t);
        const client = await registerClient(t);
        const request = await authorizationRequest(as, client, { scope: 'read' });
        const browser = new OAuthBrowser(t);
        const consent = await browser.open(request.url, alice);
        assert.equal(consent.status, 200, consent.text);
        const fields = hiddenFields(consent.text, '/oauth/authorize');
        delete fields._csrf;
        const cookie = await signedInCookie();
        const res = await raw(
          'POST',
          target,
          { Cookie: cookie, 'Content-Type': FORM },
          new URLSearchParams({ ...fields, decision: 'approve' }).toString(),
        );
        assert.equal(res.status, 403, res.text);
        assert.equal(res.headers.location, undefined, 'no redirect with a code');
      });
    }

    for (const target of ['/%6Cogin', 'http://127.0.0.1/login']) {
      it(`POST ${target} without a CSRF token does not sign in`, async () => {
        const res = await raw(
          'POST',
          target,
          { 'Content-Type': FORM },
          new URLSearchParams({ login: alice.username, password: alice.password }).toString(),
        );
        assert.equal(res.status, 403, res.text);
        assert.equal(sessionCookie(res.headers).includes('tessera_session=;'), false);
        assert.equal(res.headers.location, undefined);
      });
    }

    it('POST /%6Cogout without a CSRF token does not sign out', async () => {
      const cookie = await signedInCookie();
      const res = await raw('POST', '/%6Cogout', { Cookie: cookie, 'Content-Type': FORM }, '');
      assert.equal(res.status, 403, res.text);
      const still = await raw('GET', '/account/tokens', { Cookie: cookie });
      assert.equal(still.status, 200, 'the session still works');
    });
  });

  describe('the JSON API', () => {
    const tokenBody = JSON.stringify({ name: 'encoded', scopes: ['read'], expires_in_days: 5 });

    for (const target of ['/%61pi/v1/tokens', 'http://127.0.0.1/api/v1/tokens']) {
      it(`POST ${target} answers with Cache-Control: no-store`, async () => {
        const res = await raw(
          'POST',
          target,
          {
            Authorization: alice.basic,
            'X-Workspace-Id': acme.id,
            'Content-Type': 'application/json',
          },
          tokenBody,
        );
        assert.equal(res.status, 201, res.text);
        assert.match(res.text, /"token"/);
        assert.equal(res.headers['cache-control'], 'no-store');
      });

      it(`POST ${target} with a form body is refused with 415`, async () => {
        const res = await raw(
          'POST',
          target,
          { Authorization: alice.basic, 'X-Workspace-Id': acme.id, 'Content-Type': FORM },
          'name=form&scopes=read&expires_in_days=5',
        );
        assert.equal(res.status, 415, res.text);
        assert.equal(JSON.parse(res.text).code, 'unsupported_media_type');
      });
    }
  });
});
