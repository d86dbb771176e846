import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oauth from 'oauth4webapi';
import {
  assertError,
  createToken,
  createUser,
  createWorkspace,
  TestUser,
} from '../support/factories';
import {
  discover,
  hiddenFields,
  INSECURE,
  OAuthBrowser,
  oauthFailure,
  obtainCode,
  obtainTokens,
  OAuthTestApp,
  registerClient,
  RegisteredClient,
  startOAuthTestApp,
} from '../support/oauth';

interface AuthorizationBody {
  client_id: string;
  name: string;
  scopes: string[];
  grants: number;
  authorized_at: string;
  last_issued_at: string;
}

describe('The OAuth applications a user authorized (SPEC §12: /api/v1/me/authorizations)', () => {
  let t: OAuthTestApp;
  let as: oauth.AuthorizationServer;
  let reporting: RegisteredClient;
  let calendar: RegisteredClient;
  let alice: TestUser;
  let bob: TestUser;

  before(async () => {
    t = await startOAuthTestApp();
    as = await discover(t);
    reporting = await registerClient(t, { scopes: ['read', 'write'], name: 'Reporting' });
    calendar = await registerClient(t, { scopes: ['read'], name: 'Calendar' });
    alice = await createUser(t);
    bob = await createUser(t);
  });
  after(() => t.close());

  const me = (accessToken: string) =>
    t.http().get('/api/v1/me').set('Authorization', `Bearer ${accessToken}`);
  const list = (user: TestUser) =>
    t.http().get('/api/v1/me/authorizations').set('Authorization', user.basic);
  const revoke = (user: TestUser, clientId: string) =>
    t.http().delete(`/api/v1/me/authorizations/${clientId}`).set('Authorization', user.basic);

  it('lists each authorized application once, with its grants and scopes', async () => {
    await obtainTokens(t, as, reporting, alice, { scope: 'read' });
    await obtainTokens(t, as, reporting, alice, { scope: 'read write' });
    await obtainTokens(t, as, calendar, alice);
    const res = await list(alice).expect(200);
    assert.equal(res.body.total_count, 2);
    const byName = new Map((res.body.data as AuthorizationBody[]).map((a) => [a.name, a] as const));
    assert.deepEqual(byName.get('Reporting')?.scopes, ['read', 'write']);
    assert.equal(byName.get('Reporting')?.grants, 2);
    assert.equal(byName.get('Reporting')?.client_id, reporting.clientId);
    assert.deepEqual(byName.get('Calendar')?.scopes, ['read']);
    assert.ok(!Number.isNaN(Date.parse(byName.get('Calendar')?.authorized_at ?? '')));
    // Nobody else's: bob authorized nothing.
    const bobs = await list(bob).expect(200);
    assert.equal(bobs.body.total_count, 0);
  });

  it('takes the account password, never a token or an OAuth access token', async () => {
    const ws = await createWorkspace(t, alice);
    const token = await createToken(t, alice, ws, { scopes: ['read', 'write', 'delete'] });
    assertError(
      await t.http().get('/api/v1/me/authorizations').set('Authorization', token.bearer),
      403,
      'forbidden',
    );
    const { tokens } = await obtainTokens(t, as, calendar, alice);
    assertError(
      await t
        .http()
        .delete(`/api/v1/me/authorizations/${calendar.clientId}`)
        .set('Authorization', `Bearer ${tokens.access_token}`),
      403,
      'insufficient_scope',
    );
    assert.equal((await me(tokens.access_token)).status, 200, 'the application was not revoked');
  });

  it('revokes an application: its tokens, refresh tokens and unexchanged codes stop at once; others keep working', async () => {
    const first = await obtainTokens(t, as, reporting, alice);
    const second = await obtainTokens(t, as, reporting, alice);
    const pending = await obtainCode(t, as, reporting, alice);
    const other = await obtainTokens(t, as, calendar, alice);
    const bobsGrant = await obtainTokens(t, as, reporting, bob);

    await revoke(alice, reporting.clientId).expect(204);

    assertError(await me(first.tokens.access_token), 401, 'token_revoked');
    assertError(await me(second.tokens.access_token), 401, 'token_revoked');
    const refused = await oauthFailure(
      oauth
        .refreshTokenGrantRequest(
          as,
          reporting.client,
          reporting.auth,
          second.tokens.refresh_token as string,
          INSECURE,
        )
        .then((r) => oauth.processRefreshTokenResponse(as, reporting.client, r)),
    );
    assert.equal(refused.error, 'invalid_grant');
    const exchange = await oauthFailure(
      oauth
        .authorizationCodeGrantRequest(
          as,
          reporting.client,
          reporting.auth,
          pending.params,
          pending.request.redirectUri,
          pending.request.codeVerifier,
          INSECURE,
        )
        .then((r) => oauth.processAuthorizationCodeResponse(as, reporting.client, r)),
    );
    assert.equal(exchange.error, 'invalid_grant');

    assert.equal((await me(other.tokens.access_token)).status, 200, 'another application');
    assert.equal((await me(bobsGrant.tokens.access_token)).status, 200, 'another user');
    const after = await list(alice).expect(200);
    assert.deepEqual(
      (after.body.data as AuthorizationBody[]).map((a) => a.name),
      ['Calendar'],
    );

    const events = await t
      .http()
      .get('/api/v1/admin/audit-events')
      .query({ action: 'oauth_authorization.revoked', actor_id: alice.id })
      .set('Authorization', t.adminBasic)
      .expect(200);
    assert.equal(events.body.total_count, 1);
  });

  it('answers 404 for an application never authorized, already revoked or unknown', async () => {
    assertError(await revoke(alice, reporting.clientId), 404, 'not_found');
    assertError(await revoke(bob, calendar.clientId), 404, 'not_found');
    assertError(await revoke(alice, 'tsc_unknown'), 404, 'not_found');
  });

  it('shows the same on /account/applications, where a button revokes an application', async () => {
    const carol = await createUser(t);
    const browser = new OAuthBrowser(t);
    const { tokens } = await obtainTokens(t, as, calendar, carol, { browser });
    const page = await browser.get('/account/applications');
    assert.equal(page.status, 200);
    assert.match(page.text, /Calendar/);
    assert.doesNotMatch(page.text, /Reporting/, 'only applications carol authorized');
    const action = `/account/applications/${calendar.clientId}/revoke`;
    const fields = hiddenFields(page.text, action);
    assert.ok(fields._csrf, 'the revoke button is a CSRF-protected form');

    const forged = await browser.postForm(action, {});
    assert.equal(forged.status, 403, 'no CSRF token, no revocation');
    assert.equal((await me(tokens.access_token)).status, 200);

    const revoked = await browser.postForm(action, fields);
    assert.equal(revoked.status, 303);
    assert.equal(revoked.location, '/account/applications');
    assertError(await me(tokens.access_token), 401, 'token_revoked');
    const after = await browser.get('/account/applications');
    assert.match(after.text, /No application can act for you/);
    assert.match(after.text, /its tokens no longer work/);
    const again = await browser.postForm(action, fields);
    assert.equal(again.status, 404);
  });
});
