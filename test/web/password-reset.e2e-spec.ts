import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PasswordReset } from '../../src/users/entities/password-reset.entity';
import { adminAuditEvents } from '../credentials/credential-helpers';
import { assertError, createUser, TestUser } from '../support/factories';
import {
  hiddenFields,
  OAuthBrowser,
  OAuthTestApp,
  sessionCookie,
  startOAuthTestApp,
} from '../support/oauth';
import { basicAuth } from '../support/test-app';
import { postForm, textOf } from './web-helpers';

// SPEC §12: an admin's one-time password reset link, valid 1 hour, shown once, stored hashed;
// using it sets the password, consumes the link and ends every session of the user.

describe('password reset links (SPEC §12)', () => {
  let t: OAuthTestApp;
  const NEW = 'reset-new-password-2026';

  const makeLink = async (user: TestUser): Promise<{ url: string; expires_at: string }> => {
    const res = await t
      .http()
      .post(`/api/v1/admin/users/${user.id}/password-reset`)
      .set('Authorization', t.adminBasic)
      .expect(201);
    assert.equal(res.headers['cache-control'], 'no-store');
    return res.body as { url: string; expires_at: string };
  };
  const pathOf = (url: string): string => {
    const parsed = new URL(url);
    return `${parsed.pathname}${parsed.search}`;
  };
  /** Opens the link and submits its form with `password` (twice, or `confirm`). */
  const useLink = async (url: string, password: string, confirm = password) => {
    const browser = new OAuthBrowser(t);
    const page = await browser.get(pathOf(url));
    assert.equal(page.status, 200, page.text);
    const fields = hiddenFields(page.text, '/password-reset');
    assert.ok(fields._csrf, 'the form carries a CSRF token');
    assert.ok(fields.code, 'the form carries the link code');
    return postForm(browser, '/password-reset', {
      ...fields,
      new_password: password,
      confirm_password: confirm,
    });
  };
  const signInCookie = async (user: TestUser): Promise<string> => {
    const res = await new OAuthBrowser(t).submitLogin(user);
    assert.equal(res.status, 303, res.text);
    return sessionCookie(res.headers).split(';')[0];
  };
  const pageWith = async (cookie: string): Promise<number> =>
    (await t.http().get('/account/tokens').set('Cookie', cookie).redirects(0)).status;

  before(async () => {
    t = await startOAuthTestApp();
  });
  after(() => t.close());

  it('POST /api/v1/admin/users/:id/password-reset answers a link valid 1 hour, stored hashed, audited', async () => {
    const user = await createUser(t);
    const link = await makeLink(user);
    const url = new URL(link.url);
    assert.equal(url.origin, t.issuer.origin);
    assert.equal(url.pathname, '/password-reset');
    const code = url.searchParams.get('code') ?? '';
    assert.ok(code.length >= 40, 'a long random code');
    const minutes = (Date.parse(link.expires_at) - Date.now()) / 60_000;
    assert.ok(minutes > 59 && minutes <= 60, `expires in ${minutes} minutes`);
    const rows = await t.dataSource.getRepository(PasswordReset).findBy({ userId: user.id });
    assert.equal(rows.length, 1);
    assert.match(rows[0].secretHash, /^[0-9a-f]{64}$/);
    assert.notEqual(rows[0].secretHash, code);
    const events = await adminAuditEvents(t, { action: 'user.password_reset_created' });
    assert.ok(
      events.some((e) => e.target_id === user.id),
      JSON.stringify(events),
    );
    assert.ok(!JSON.stringify(events).includes(code), 'the code is not in the audit log');
  });

  it('is for instance admins only, and 404 for an unknown user', async () => {
    const user = await createUser(t);
    const res = await t
      .http()
      .post(`/api/v1/admin/users/${user.id}/password-reset`)
      .set('Authorization', user.basic);
    assertError(res, 403, 'forbidden');
    const missing = await t
      .http()
      .post('/api/v1/admin/users/6f1c7a2e-0000-4000-8000-000000000000/password-reset')
      .set('Authorization', t.adminBasic);
    assertError(missing, 404, 'not_found');
  });

  it('using the link sets the password, ends every session and is audited', async () => {
    const user = await createUser(t);
    const cookie = await signInCookie(user);
    const link = await makeLink(user);
    const res = await useLink(link.url, NEW);
    assert.equal(res.status, 200, res.text);
    assert.match(textOf(res.text), /Your new password is set/);
    assert.equal(await pageWith(cookie), 303, 'the old session ended');
    assertError(
      await t.http().get('/api/v1/me').set('Authorization', user.basic),
      401,
      'invalid_credentials',
    );
    await t
      .http()
      .get('/api/v1/me')
      .set('Authorization', basicAuth(user.username, NEW))
      .expect(200);
    const events = await adminAuditEvents(t, { action: 'user.password_reset_used' });
    assert.ok(
      events.some((e) => e.target_id === user.id),
      JSON.stringify(events),
    );
  });

  it('works once: a used link shows a clear page', async () => {
    const user = await createUser(t);
    const link = await makeLink(user);
    const browser = new OAuthBrowser(t);
    const page = await browser.get(pathOf(link.url));
    const fields = hiddenFields(page.text, '/password-reset');
    const first = await postForm(browser, '/password-reset', {
      ...fields,
      new_password: NEW,
      confirm_password: NEW,
    });
    assert.equal(first.status, 200, first.text);
    const again = await postForm(browser, '/password-reset', {
      ...fields,
      new_password: 'another-password-later',
      confirm_password: 'another-password-later',
    });
    assert.equal(again.status, 410);
    assert.match(textOf(again.text), /already been used/);
    const reopened = await new OAuthBrowser(t).get(pathOf(link.url));
    assert.equal(reopened.status, 410);
    assert.match(textOf(reopened.text), /already been used/);
    await t
      .http()
      .get('/api/v1/me')
      .set('Authorization', basicAuth(user.username, NEW))
      .expect(200);
  });

  it('an expired link shows a clear page and changes nothing', async () => {
    const user = await createUser(t);
    const link = await makeLink(user);
    await t.dataSource
      .getRepository(PasswordReset)
      .update({ userId: user.id }, { expiresAt: new Date(Date.now() - 1000) });
    const res = await new OAuthBrowser(t).get(pathOf(link.url));
    assert.equal(res.status, 410);
    assert.match(textOf(res.text), /has expired/);
    await t.http().get('/api/v1/me').set('Authorization', user.basic).expect(200);
  });

  it('an unknown code shows a clear page (404)', async () => {
    const res = await new OAuthBrowser(t).get('/password-reset?code=not-a-real-code');
    assert.equal(res.status, 404);
    assert.match(textOf(res.text), /not valid/);
  });

  it('a new link replaces an earlier unused one', async () => {
    const user = await createUser(t);
    const first = await makeLink(user);
    await makeLink(user);
    const res = await new OAuthBrowser(t).get(pathOf(first.url));
    assert.equal(res.status, 404);
  });

  it('a short or mistyped new password shows a sentence and keeps the link', async () => {
    const user = await createUser(t);
    const link = await makeLink(user);
    const short = await useLink(link.url, 'short');
    assert.equal(short.status, 400);
    assert.match(textOf(short.text), /new_password must be longer than or equal to 12 characters/);
    const differ = await useLink(link.url, NEW, `${NEW}x`);
    assert.equal(differ.status, 400);
    assert.match(textOf(differ.text), /The two new passwords differ/);
    const ok = await useLink(link.url, NEW);
    assert.equal(ok.status, 200);
  });

  it('the form needs its CSRF token', async () => {
    const user = await createUser(t);
    const link = await makeLink(user);
    const browser = new OAuthBrowser(t);
    const page = await browser.get(pathOf(link.url));
    const fields = hiddenFields(page.text, '/password-reset');
    const res = await postForm(browser, '/password-reset', {
      code: fields.code,
      new_password: NEW,
      confirm_password: NEW,
    });
    assert.equal(res.status, 403);
    await t.http().get('/api/v1/me').set('Authorization', user.basic).expect(200);
  });
});
