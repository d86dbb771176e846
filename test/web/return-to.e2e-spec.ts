import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createUser, TestUser } from '../support/factories';
import { OAuthBrowser, OAuthTestApp, startOAuthTestApp } from '../support/oauth';
import { signedIn } from './web-helpers';

// Issue 13 item 4: return_to is resolved against PUBLIC_URL with the WHATWG URL parser (as a
// browser resolves the Location) and kept only on the same origin; anything else → home page.

describe('/login?return_to= (issue 13 item 4)', () => {
  let t: OAuthTestApp;
  let alice: TestUser;
  let browser: OAuthBrowser;

  before(async () => {
    t = await startOAuthTestApp();
    alice = await createUser(t);
    browser = await signedIn(t, alice);
  });
  after(() => t.close());

  /** Where GET /login sends a signed-in browser for this (already encoded) return_to. */
  const getTarget = async (encoded: string): Promise<string | undefined> => {
    const res = await browser.get(`/login?return_to=${encoded}`);
    assert.equal(res.status, 303, `${encoded}: ${res.status} ${res.text}`);
    return res.location;
  };
  /** Where POST /login sends the browser after signing in with this return_to. */
  const postTarget = async (returnTo: string): Promise<string | undefined> => {
    const res = await new OAuthBrowser(t).submitLogin(alice, { returnTo });
    assert.equal(res.status, 303, `${JSON.stringify(returnTo)}: ${res.status} ${res.text}`);
    return res.location;
  };
  /** Where a browser would go for this Location, resolved against the app's own address. */
  const landing = (location: string | undefined): URL => new URL(location ?? '', t.issuer);

  for (const [label, encoded] of [
    ['a tab', '/%09/example.org/phish'],
    ['a line feed', '/%0A/example.org/phish'],
    ['a carriage return', '/%0D/example.org/phish'],
    ['a backslash', '/%5Cexample.org/phish'],
    ['another origin', 'https%3A%2F%2Fexample.org%2Fphish'],
    ['a scheme-relative URL', '%2F%2Fexample.org%2Fphish'],
    ['a javascript: URL', 'javascript%3Aalert(1)'],
  ]) {
    it(`GET with ${label} never leaves the site`, async () => {
      const location = await getTarget(encoded);
      assert.equal(landing(location).origin, t.issuer.origin, `Location: ${location}`);
      assert.equal(location, '/');
    });

    it(`POST with ${label} never leaves the site`, async () => {
      const location = await postTarget(decodeURIComponent(encoded));
      assert.equal(landing(location).origin, t.issuer.origin, `Location: ${location}`);
      assert.equal(location, '/');
    });
  }

  for (const [label, encoded, expected] of [
    ['a vertical tab', '/%0B/account/tokens', '/%0B/account/tokens'],
    ['non-Latin-1 characters', '/account/t%C3%A2ches/%E2%9C%93', '/account/t%C3%A2ches/%E2%9C%93'],
  ]) {
    it(`GET with ${label} answers a valid redirect on the site, not a 500`, async () => {
      assert.equal(await getTarget(encoded), expected);
    });

    it(`POST with ${label} answers a valid redirect on the site, not a 500`, async () => {
      assert.equal(await postTarget(decodeURIComponent(encoded)), expected);
    });
  }

  it('keeps a local path with its query', async () => {
    assert.equal(
      await getTarget(encodeURIComponent('/oauth/authorize?client_id=x&state=y')),
      '/oauth/authorize?client_id=x&state=y',
    );
  });

  it('keeps a same-origin absolute URL, as its path', async () => {
    assert.equal(await postTarget(`${t.issuer.origin}/account/tokens?x=1`), '/account/tokens?x=1');
  });
});
