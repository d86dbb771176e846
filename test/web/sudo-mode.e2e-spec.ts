import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebSession } from '../../src/sessions/entities/web-session.entity';
import { adminAuditEvents, restoreDefaultSettings } from '../credentials/credential-helpers';
import {
  createToken,
  createUser,
  createWorkspace,
  TestUser,
  TestWorkspace,
} from '../support/factories';
import { BrowserStep, hiddenFields, OAuthBrowser } from '../support/oauth';
import { ADMIN_PASSWORD, ADMIN_USERNAME, startTestApp, TestApp } from '../support/test-app';
import { postForm, shownSecret, signedIn, submitForm, textOf } from './web-helpers';

// SPEC §12 "sudo mode": creating or rotating a token, admin settings and OAuth applications ask
// for the password again when the session's last password entry is older than 15 minutes.

describe('sudo mode (SPEC §12)', () => {
  let t: TestApp;
  let alice: TestUser;
  let acme: TestWorkspace;
  const admin = { username: ADMIN_USERNAME, password: ADMIN_PASSWORD };

  /** Makes every session of the user look signed in 16 minutes ago. */
  const age = async (username: string): Promise<void> => {
    const sessions = t.dataSource.getRepository(WebSession);
    const rows = await sessions
      .createQueryBuilder('s')
      .innerJoin('s.user', 'u')
      .where('u.username = :username', { username })
      .getMany();
    assert.ok(rows.length > 0, 'the user has a session');
    for (const row of rows) {
      await sessions.update(
        { id: row.id },
        { authenticatedAt: new Date(Date.now() - 16 * 60_000) },
      );
    }
  };

  /** The password confirmation page: 403, the form posting back to `action`, nothing done. */
  const assertSudoPage = (res: BrowserStep, action: string): Record<string, string> => {
    assert.equal(res.status, 403, res.text);
    assert.match(textOf(res.text), /Confirm your password/);
    assert.match(res.text, /name="sudo_password"/);
    assert.equal(shownSecret(res.text), undefined, 'no secret before the confirmation');
    return hiddenFields(res.text, action);
  };

  const tokenCount = async (): Promise<number> => {
    const res = await t
      .http()
      .get('/api/v1/tokens')
      .set('Authorization', alice.basic)
      .set('X-Workspace-Id', acme.id)
      .expect(200);
    return res.body.total_count as number;
  };

  before(async () => {
    t = await startTestApp();
    alice = await createUser(t);
    acme = await createWorkspace(t, alice, { plan: 'enterprise' });
  });
  after(() => t.close());

  describe('creating a token', () => {
    const fields = { name: 'sudo token', scopes: ['read'], expires_in: '30' };

    it('asks for the password after 15 minutes, then creates the token', async () => {
      const browser = await signedIn(t, alice);
      await age(alice.username);
      const before = await tokenCount();
      const asked = await submitForm(browser, '/account/tokens', '/account/tokens', {
        ...fields,
        workspace: acme.id,
      });
      const carried = assertSudoPage(asked, '/account/tokens');
      assert.equal(carried.name, 'sudo token', 'the form is carried through');
      assert.equal(await tokenCount(), before, 'nothing was created');
      const done = await postForm(browser, '/account/tokens', {
        ...carried,
        scopes: 'read',
        sudo_password: alice.password,
      });
      assert.equal(done.status, 201, done.text);
      assert.ok(shownSecret(done.text), 'the new token is shown');
      assert.equal(await tokenCount(), before + 1);
      // Confirmed: the next sensitive action within 15 minutes goes through at once.
      const next = await submitForm(browser, '/account/tokens', '/account/tokens', {
        ...fields,
        workspace: acme.id,
        name: 'second',
      });
      assert.equal(next.status, 201, next.text);
      const events = await adminAuditEvents(t, { action: 'web.sudo' });
      assert.ok(
        events.some((e) => e.target_id === alice.id),
        JSON.stringify(events),
      );
    });

    it('a wrong password changes nothing and asks again', async () => {
      const browser = await signedIn(t, alice);
      await age(alice.username);
      const before = await tokenCount();
      const asked = await submitForm(browser, '/account/tokens', '/account/tokens', {
        ...fields,
        workspace: acme.id,
      });
      const carried = assertSudoPage(asked, '/account/tokens');
      const wrong = await postForm(browser, '/account/tokens', {
        ...carried,
        scopes: 'read',
        sudo_password: 'not-the-password',
      });
      assertSudoPage(wrong, '/account/tokens');
      assert.match(textOf(wrong.text), /The password is wrong\. Nothing was changed\./);
      assert.equal(await tokenCount(), before);
    });

    it('a fresh sign-in needs no confirmation', async () => {
      const browser = await signedIn(t, alice);
      const res = await submitForm(browser, '/account/tokens', '/account/tokens', {
        ...fields,
        workspace: acme.id,
      });
      assert.equal(res.status, 201, res.text);
    });
  });

  it('rotating a token asks for the password after 15 minutes', async () => {
    const token = await createToken(t, alice, acme, { name: 'to rotate' });
    const browser = await signedIn(t, alice);
    await age(alice.username);
    const action = `/account/tokens/${token.id}/rotate`;
    const asked = await submitForm(browser, action, action, { grace_seconds: '0' });
    const carried = assertSudoPage(asked, action);
    assert.equal(carried.grace_seconds, '0');
    await t.http().get('/api/v1/me').set('Authorization', token.bearer).expect(200);
    const done = await postForm(browser, action, { ...carried, sudo_password: alice.password });
    assert.equal(done.status, 201, done.text);
    assert.ok(shownSecret(done.text));
  });

  describe('admin pages', () => {
    let browser: OAuthBrowser;
    before(async () => {
      browser = await signedIn(t, admin);
    });
    after(() => restoreDefaultSettings(t));

    it('saving the settings asks for the password after 15 minutes', async () => {
      await age(ADMIN_USERNAME);
      const asked = await submitForm(browser, '/admin/settings', '/admin/settings', {
        rest_api_enabled: 'on',
        allow_query_key: 'on',
        allow_basic_password: 'on',
        legacy_auth_enabled: 'on',
        max_token_lifetime_days: '77',
      });
      const carried = assertSudoPage(asked, '/admin/settings');
      const unchanged = await t
        .http()
        .get('/api/v1/admin/settings')
        .set('Authorization', t.adminBasic);
      assert.notEqual(unchanged.body.max_token_lifetime_days, 77);
      const done = await postForm(browser, '/admin/settings', {
        ...carried,
        sudo_password: ADMIN_PASSWORD,
      });
      assert.equal(done.status, 303, done.text);
      const saved = await t.http().get('/api/v1/admin/settings').set('Authorization', t.adminBasic);
      assert.equal(saved.body.max_token_lifetime_days, 77);
      assert.equal(saved.body.allow_query_key, true);
    });

    it('registering and deleting an OAuth application ask for the password after 15 minutes', async () => {
      await age(ADMIN_USERNAME);
      const action = '/admin/oauth-applications';
      const asked = await submitForm(browser, action, action, {
        name: 'Sudo app',
        redirect_uris: 'https://app.example/cb',
        scopes: 'read',
      });
      const carried = assertSudoPage(asked, action);
      const list = () =>
        t.http().get('/api/v1/admin/oauth/applications').set('Authorization', t.adminBasic);
      const count = (await list()).body.total_count as number;
      const created = await postForm(browser, action, {
        ...carried,
        sudo_password: ADMIN_PASSWORD,
      });
      assert.equal(created.status, 201, created.text);
      const apps = (await list()).body.data as Array<{ id: string; name: string }>;
      assert.equal(apps.length, count + 1);
      const app = apps.find((a) => a.name === 'Sudo app')!;

      await age(ADMIN_USERNAME);
      const del = `/admin/oauth-applications/${app.id}/delete`;
      const askedDelete = await submitForm(browser, del, del, {});
      const carriedDelete = assertSudoPage(askedDelete, del);
      assert.equal((await list()).body.total_count, count + 1, 'not deleted yet');
      const deleted = await postForm(browser, del, {
        ...carriedDelete,
        sudo_password: ADMIN_PASSWORD,
      });
      assert.equal(deleted.status, 303, deleted.text);
      assert.equal((await list()).body.total_count, count);
    });
  });
});
