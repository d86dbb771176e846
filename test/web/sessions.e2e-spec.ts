import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebSession } from '../../src/sessions/entities/web-session.entity';
import { adminAuditEvents } from '../credentials/credential-helpers';
import {
  assertError,
  createToken,
  createUser,
  createWorkspace,
  TestUser,
} from '../support/factories';
import { hiddenFields, OAuthBrowser, sessionCookie } from '../support/oauth';
import { basicAuth, startTestApp, TestApp } from '../support/test-app';
import { postForm, signedIn, submitForm, textOf } from './web-helpers';

// SPEC §12 web sessions (issue 13 item 10): server-side sessions that really end — sign-out, a
// lock, a password change, or the user ending one from the list.

describe('web sessions (SPEC §12)', () => {
  let t: TestApp;

  /** Signs in and returns the session cookie as a copy a thief could hold (name=value). */
  const signInCookie = async (user: TestUser): Promise<string> => {
    const res = await new OAuthBrowser(t).submitLogin(user);
    assert.equal(res.status, 303, res.text);
    const cookie = sessionCookie(res.headers).split(';')[0];
    assert.ok(cookie, 'sign-in sets the session cookie');
    return cookie;
  };
  /** The status of the token page for a cookie: 200 signed in, 303 to /login signed out. */
  const pageWith = async (cookie: string): Promise<number> =>
    (await t.http().get('/account/tokens').set('Cookie', cookie).redirects(0)).status;
  const sessionsOf = (user: TestUser) =>
    t.http().get('/api/v1/me/sessions').set('Authorization', user.basic);

  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  describe('sign-out', () => {
    it('POST /logout ends the session everywhere: a copy of the cookie no longer works', async () => {
      const user = await createUser(t);
      const browser = new OAuthBrowser(t);
      const signIn = await browser.submitLogin(user);
      assert.equal(signIn.status, 303, signIn.text);
      // A copy of the browser's own cookie, taken before sign-out.
      const stolen = sessionCookie(signIn.headers).split(';')[0];
      const copy = await signInCookie(user);
      const page = await browser.get('/account/tokens');
      assert.equal(await pageWith(stolen), 200);
      const logout = await postForm(browser, '/logout', {
        _csrf: hiddenFields(page.text, '/logout')._csrf,
      });
      assert.equal(logout.status, 303);
      assert.equal(await pageWith(stolen), 303, 'the copied cookie is signed out too');
      assert.equal(await pageWith(copy), 200, 'another browser of the user stays signed in');
    });
  });

  describe('locking a user', () => {
    it('ends their sessions, and unlocking does not bring them back', async () => {
      const user = await createUser(t);
      const cookie = await signInCookie(user);
      assert.equal(await pageWith(cookie), 200);
      const lock = (status: string) =>
        t
          .http()
          .patch(`/api/v1/admin/users/${user.id}`)
          .set('Authorization', t.adminBasic)
          .send({ status })
          .expect(200);
      await lock('locked');
      assert.equal(await pageWith(cookie), 303);
      await lock('active');
      assert.equal(await pageWith(cookie), 303, 'the session stays ended after the unlock');
      const events = await adminAuditEvents(t, { action: 'session.ended' });
      assert.ok(
        events.some(
          (e) =>
            e.target_id === user.id && (e.metadata as { reason?: string }).reason === 'user_locked',
        ),
        JSON.stringify(events),
      );
    });
  });

  describe('GET /api/v1/me/sessions', () => {
    it('lists the user’s sessions with the SPEC fields in the list shape', async () => {
      const user = await createUser(t);
      await signInCookie(user);
      await signInCookie(user);
      const other = await createUser(t);
      await signInCookie(other);
      const res = await sessionsOf(user).expect(200);
      assert.equal(res.headers['cache-control'], 'no-store');
      assert.equal(res.body.total_count, 2);
      assert.equal(res.body.offset, 0);
      assert.equal(res.body.limit, 25);
      assert.equal(res.body.data.length, 2);
      for (const s of res.body.data as Array<Record<string, unknown>>) {
        assert.deepEqual(Object.keys(s).sort(), [
          'created_at',
          'current',
          'expires_at',
          'id',
          'ip',
          'last_seen_at',
          'user_agent',
        ]);
        assert.equal(s.current, false);
        assert.equal(s.ip, '127.0.0.1');
        const hours =
          (Date.parse(s.expires_at as string) - Date.parse(s.created_at as string)) / 3_600_000;
        assert.equal(hours, 8);
      }
      const paged = await sessionsOf(user).query({ limit: '1', offset: '1' }).expect(200);
      assert.equal(paged.body.data.length, 1);
      assert.equal(paged.body.total_count, 2);
    });

    it('takes the account password, never a token (403 forbidden)', async () => {
      const user = await createUser(t);
      const ws = await createWorkspace(t, user);
      const token = await createToken(t, user, ws);
      const res = await t.http().get('/api/v1/me/sessions').set('Authorization', token.bearer);
      assertError(res, 403, 'forbidden');
    });

    it('does not write last_seen_at on every request', async () => {
      const user = await createUser(t);
      const cookie = await signInCookie(user);
      const before = await t.dataSource
        .getRepository(WebSession)
        .findOneByOrFail({ userId: user.id });
      await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(await pageWith(cookie), 200);
      assert.equal(await pageWith(cookie), 200);
      const after = await t.dataSource
        .getRepository(WebSession)
        .findOneByOrFail({ userId: user.id });
      assert.equal(after.lastSeenAt.getTime(), before.lastSeenAt.getTime());
      // An hour-old last_seen_at is refreshed by the next request.
      const old = new Date(Date.now() - 3_600_000);
      await t.dataSource.getRepository(WebSession).update({ id: before.id }, { lastSeenAt: old });
      assert.equal(await pageWith(cookie), 200);
      const touched = await t.dataSource
        .getRepository(WebSession)
        .findOneByOrFail({ id: before.id });
      assert.ok(touched.lastSeenAt.getTime() > old.getTime() + 3_000_000);
    });

    it('keeps only a SHA-256 of the cookie secret', async () => {
      const user = await createUser(t);
      await signInCookie(user);
      const row = await t.dataSource.getRepository(WebSession).findOneByOrFail({ userId: user.id });
      assert.match(row.secretHash, /^[0-9a-f]{64}$/);
    });
  });

  describe('DELETE /api/v1/me/sessions/:id', () => {
    it('ends that session (204), audited as session.ended', async () => {
      const user = await createUser(t);
      const cookie = await signInCookie(user);
      const list = await sessionsOf(user).expect(200);
      const id = list.body.data[0].id as string;
      await t
        .http()
        .delete(`/api/v1/me/sessions/${id}`)
        .set('Authorization', user.basic)
        .expect(204);
      assert.equal(await pageWith(cookie), 303);
      assert.equal((await sessionsOf(user).expect(200)).body.total_count, 0);
      const events = await adminAuditEvents(t, { action: 'session.ended' });
      assert.ok(
        events.some((e) => e.target_id === id),
        JSON.stringify(events),
      );
    });

    it('answers 404 for another user’s session, which keeps working', async () => {
      const owner = await createUser(t);
      const cookie = await signInCookie(owner);
      const id = (await sessionsOf(owner).expect(200)).body.data[0].id as string;
      const intruder = await createUser(t);
      const res = await t
        .http()
        .delete(`/api/v1/me/sessions/${id}`)
        .set('Authorization', intruder.basic);
      assertError(res, 404, 'not_found');
      assert.equal(await pageWith(cookie), 200);
    });

    it('answers 404 for an id that is not a UUID', async () => {
      const user = await createUser(t);
      const res = await t
        .http()
        .delete('/api/v1/me/sessions/not-a-session')
        .set('Authorization', user.basic);
      assertError(res, 404, 'not_found');
    });
  });

  describe('the /account/sessions page', () => {
    it('lists the sessions, marks this browser, and ends another one', async () => {
      const user = await createUser(t);
      const other = await signInCookie(user);
      const browser = await signedIn(t, user);
      const page = await browser.get('/account/sessions');
      assert.equal(page.status, 200, page.text);
      const rows = [...page.text.matchAll(/<tr data-session-id="([^"]+)">([\s\S]*?)<\/tr>/g)];
      assert.equal(rows.length, 2);
      const current = rows.filter((r) => /This browser/.test(textOf(r[2])));
      assert.equal(current.length, 1);
      const otherId = rows.find((r) => r !== current[0])![1];
      const action = `/account/sessions/${otherId}/end`;
      const res = await postForm(browser, action, hiddenFields(page.text, action));
      assert.equal(res.status, 303);
      assert.equal(res.location, '/account/sessions');
      assert.equal(await pageWith(other), 303, 'the other browser is signed out');
      assert.equal((await browser.get('/account/sessions')).status, 200, 'this one is not');
    });

    it('ending this browser’s own session signs it out', async () => {
      const user = await createUser(t);
      const browser = await signedIn(t, user);
      const page = await browser.get('/account/sessions');
      const id = /<tr data-session-id="([^"]+)">/.exec(page.text)![1];
      const action = `/account/sessions/${id}/end`;
      const res = await postForm(browser, action, hiddenFields(page.text, action));
      assert.equal(res.status, 303);
      assert.equal(res.location, '/login');
      assert.equal((await browser.get('/account/tokens')).status, 303);
    });
  });

  describe('POST /api/v1/me/password', () => {
    const NEW = 'a-brand-new-password-2026';

    it('changes the password and ends every web session (204), audited', async () => {
      const user = await createUser(t);
      const cookie = await signInCookie(user);
      await t
        .http()
        .post('/api/v1/me/password')
        .set('Authorization', user.basic)
        .send({ current_password: user.password, new_password: NEW })
        .expect(204);
      assert.equal(await pageWith(cookie), 303, 'the web session ended');
      const old = await t.http().get('/api/v1/me').set('Authorization', user.basic);
      assertError(old, 401, 'invalid_credentials');
      await t
        .http()
        .get('/api/v1/me')
        .set('Authorization', basicAuth(user.username, NEW))
        .expect(200);
      const events = await adminAuditEvents(t, { action: 'user.password_changed' });
      assert.ok(
        events.some((e) => e.target_id === user.id),
        JSON.stringify(events),
      );
    });

    it('refuses a wrong current password (400 validation_failed) and changes nothing', async () => {
      const user = await createUser(t);
      const res = await t
        .http()
        .post('/api/v1/me/password')
        .set('Authorization', user.basic)
        .send({ current_password: 'not-the-password', new_password: NEW });
      assertError(res, 400, 'validation_failed');
      await t.http().get('/api/v1/me').set('Authorization', user.basic).expect(200);
    });

    it('refuses a short new password (400 validation_failed)', async () => {
      const user = await createUser(t);
      const res = await t
        .http()
        .post('/api/v1/me/password')
        .set('Authorization', user.basic)
        .send({ current_password: user.password, new_password: 'short' });
      assertError(res, 400, 'validation_failed');
      assert.ok(
        (res.body.details as Array<{ field: string }>).some((d) => d.field === 'new_password'),
      );
    });

    it('refuses a token (403 forbidden)', async () => {
      const user = await createUser(t);
      const ws = await createWorkspace(t, user);
      const token = await createToken(t, user, ws);
      const res = await t
        .http()
        .post('/api/v1/me/password')
        .set('Authorization', token.bearer)
        .send({ current_password: user.password, new_password: NEW });
      assertError(res, 403, 'forbidden');
    });
  });

  describe('the /account/password page', () => {
    it('changes the password, keeps this browser and signs out the others', async () => {
      const user = await createUser(t);
      const other = await signInCookie(user);
      const browser = await signedIn(t, user);
      const res = await submitForm(browser, '/account/password', '/account/password', {
        current_password: user.password,
        new_password: 'page-changed-password-1',
        confirm_password: 'page-changed-password-1',
      });
      assert.equal(res.status, 303, res.text);
      assert.equal(await pageWith(other), 303, 'the other browser is signed out');
      const page = await browser.get('/account/password');
      assert.equal(page.status, 200, 'this browser stays signed in');
      assert.match(textOf(page.text), /Your password is changed/);
      await t
        .http()
        .get('/api/v1/me')
        .set('Authorization', basicAuth(user.username, 'page-changed-password-1'))
        .expect(200);
    });

    it('shows a sentence for a wrong current password or differing new ones', async () => {
      const user = await createUser(t);
      const browser = await signedIn(t, user);
      const wrong = await submitForm(browser, '/account/password', '/account/password', {
        current_password: 'wrong-password',
        new_password: 'page-changed-password-2',
        confirm_password: 'page-changed-password-2',
      });
      assert.equal(wrong.status, 400);
      assert.match(textOf(wrong.text), /The current password is wrong\./);
      const differ = await submitForm(browser, '/account/password', '/account/password', {
        current_password: user.password,
        new_password: 'page-changed-password-2',
        confirm_password: 'page-changed-password-3',
      });
      assert.equal(differ.status, 400);
      assert.match(textOf(differ.text), /The two new passwords differ/);
      await t.http().get('/api/v1/me').set('Authorization', user.basic).expect(200);
    });
  });

  describe('under https', () => {
    it('names the cookie with the __Host- prefix (Secure, path /, no Domain)', async () => {
      const https = await startTestApp({ env: { PUBLIC_URL: 'https://tessera.example.test' } });
      try {
        const res = await https.http().get('/login');
        assert.equal(res.status, 200);
        const raw = res.headers['set-cookie'] as unknown as string[] | undefined;
        const cookie = (raw ?? []).find((c) => c.startsWith('__Host-tessera_session='));
        assert.ok(cookie, `no __Host- cookie in ${JSON.stringify(raw)}`);
        assert.match(cookie, /; Secure/i);
        assert.match(cookie, /; Path=\/(;|$)/);
        assert.doesNotMatch(cookie, /; Domain=/i);
      } finally {
        await https.close();
      }
    });
  });
});
