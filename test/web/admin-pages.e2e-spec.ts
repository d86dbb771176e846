import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  adminAuditEvents,
  patchSettings,
  restoreDefaultSettings,
  setLegacyPassword,
} from '../credentials/credential-helpers';
import {
  assertError,
  createToken,
  createUser,
  createWorkspace,
  TestUser,
  TestWorkspace,
} from '../support/factories';
import { hiddenFields, OAuthBrowser } from '../support/oauth';
import { ADMIN_PASSWORD, ADMIN_USERNAME, startTestApp, TestApp } from '../support/test-app';
import {
  alertOf,
  assertSentence,
  postForm,
  shownSecret,
  signedIn,
  submitForm,
  textOf,
} from './web-helpers';

const ADMIN_PAGES = [
  '/admin',
  '/admin/settings',
  '/admin/oauth-applications',
  '/admin/legacy-auth-usage',
  '/admin/tokens',
];

describe('/admin pages (SPEC §8, §9)', () => {
  let t: TestApp;
  let admin: OAuthBrowser;
  let alice: TestUser;
  let acme: TestWorkspace;

  const settings = async (): Promise<Record<string, unknown>> => {
    const res = await t.http().get('/api/v1/admin/settings').set('Authorization', t.adminBasic);
    return res.body as Record<string, unknown>;
  };

  before(async () => {
    t = await startTestApp();
    admin = await signedIn(t, { username: ADMIN_USERNAME, password: ADMIN_PASSWORD });
    alice = await createUser(t);
    acme = await createWorkspace(t, alice, { name: 'Acme' });
  });
  after(() => t.close());

  describe('access', () => {
    for (const path of ADMIN_PAGES) {
      it(`GET ${path} sends a signed-out browser to /login`, async () => {
        const res = await new OAuthBrowser(t).get(path);
        assert.equal(res.status, 303);
        assert.equal(res.location, `/login?return_to=${encodeURIComponent(path)}`);
      });

      it(`GET ${path} is a 403 page for a user who is not an instance admin`, async () => {
        const res = await (await signedIn(t, alice)).get(path);
        assert.equal(res.status, 403);
        assert.match(String(res.headers['content-type']), /text\/html/);
        assert.match(textOf(res.text), /Only instance administrators can open this page/);
      });
    }

    it('refuses a non-admin’s POSTs (with a valid CSRF token) and changes nothing', async () => {
      const mine = await signedIn(t, alice);
      const token = await createToken(t, alice, acme);
      const csrf = hiddenFields((await mine.get('/account/tokens')).text, '/account/tokens')._csrf;
      const posts: Array<[string, Record<string, string>]> = [
        ['/admin/settings', { max_token_lifetime_days: '9' }],
        [
          '/admin/oauth-applications',
          { name: 'x', redirect_uris: 'https://x.example/cb', scopes: 'read' },
        ],
        [`/admin/tokens/${token.id}/revoke`, {}],
      ];
      for (const [action, fields] of posts) {
        const res = await postForm(mine, action, { ...fields, _csrf: csrf });
        assert.equal(res.status, 403, action);
      }
      assert.equal((await settings()).max_token_lifetime_days, 365);
      const me = await t.http().get('/api/v1/me').set('Authorization', token.bearer);
      assert.equal(me.status, 200);
    });

    it('refuses an admin’s POSTs without the CSRF token', async () => {
      for (const action of ['/admin/settings', '/admin/oauth-applications']) {
        const res = await postForm(admin, action, { max_token_lifetime_days: '9', name: 'x' });
        assert.equal(res.status, 403, action);
        assert.match(textOf(res.text), /This form has expired/);
      }
      assert.equal((await settings()).max_token_lifetime_days, 365);
    });

    it('links every admin page from /admin', async () => {
      const res = await admin.get('/admin');
      assert.equal(res.status, 200);
      for (const path of ADMIN_PAGES.slice(1)) {
        assert.match(res.text, new RegExp(`<a href="${path}">`));
      }
    });
  });

  describe('/admin/settings', () => {
    after(() => restoreDefaultSettings(t));

    it('shows and saves the six instance settings, audited like the API', async () => {
      const page = await admin.get('/admin/settings');
      for (const name of [
        'rest_api_enabled',
        'allow_query_key',
        'allow_basic_password',
        'legacy_auth_enabled',
      ]) {
        assert.match(
          page.text,
          new RegExp(`<input type="checkbox" id="${name}" name="${name}" checked`),
        );
      }
      assert.match(page.text, /name="legacy_auth_sunset_at" value=""/);
      assert.match(page.text, /name="max_token_lifetime_days"[^>]*value="365"/);
      const res = await submitForm(admin, '/admin/settings', '/admin/settings', {
        rest_api_enabled: 'on',
        allow_basic_password: 'on',
        legacy_auth_enabled: 'on',
        legacy_auth_sunset_at: '2031-06-30T12:00',
        max_token_lifetime_days: '90',
      });
      assert.equal(res.status, 303);
      const saved = await settings();
      assert.equal(saved.allow_query_key, false);
      assert.equal(saved.allow_basic_password, true);
      assert.equal(saved.legacy_auth_sunset_at, '2031-06-30T12:00:00.000Z');
      assert.equal(saved.max_token_lifetime_days, 90);
      const again = await admin.get('/admin/settings');
      assert.match(textOf(again.text), /The settings are saved\./);
      assert.match(again.text, /name="legacy_auth_sunset_at" value="2031-06-30T12:00"/);
      const [event] = await adminAuditEvents(t, { action: 'settings.updated' });
      assert.deepEqual(event.metadata, {
        allow_query_key: false,
        legacy_auth_sunset_at: '2031-06-30T12:00:00.000Z',
        max_token_lifetime_days: 90,
      });
    });

    it('refuses a lifetime outside 1–365 days with a sentence', async () => {
      await patchSettings(t, { max_token_lifetime_days: 365 });
      const res = await submitForm(admin, '/admin/settings', '/admin/settings', {
        rest_api_enabled: 'on',
        max_token_lifetime_days: '0',
      });
      assert.equal(res.status, 400);
      assertSentence(alertOf(res.text), /1 to 365 days/);
      assert.equal((await settings()).max_token_lifetime_days, 365);
    });
  });

  describe('/admin/oauth-applications', () => {
    it('registers a confidential app and shows its secret once; the API lists it', async () => {
      const res = await submitForm(
        admin,
        '/admin/oauth-applications',
        '/admin/oauth-applications',
        {
          name: 'Reports',
          redirect_uris: 'https://reports.example/cb\r\nhttp://localhost:8080/cb',
          scopes: ['read', 'write'],
          confidential: 'on',
        },
      );
      assert.equal(res.status, 201, alertOf(res.text));
      const secret = shownSecret(res.text);
      assert.match(secret ?? '', /^tss_[0-9A-Za-z]{40}$/);
      assert.match(textOf(res.text), /you will not see it again/i);
      const list = await t
        .http()
        .get('/api/v1/admin/oauth/applications')
        .set('Authorization', t.adminBasic);
      const app = list.body.data.find((a: { name: string }) => a.name === 'Reports');
      assert.deepEqual(app.redirect_uris, [
        'https://reports.example/cb',
        'http://localhost:8080/cb',
      ]);
      assert.deepEqual(app.scopes, ['read', 'write']);
      assert.equal(app.confidential, true);
      const page = await admin.get('/admin/oauth-applications');
      assert.match(page.text, new RegExp(app.client_id as string));
      assert.ok(!page.text.includes(secret as string), 'the secret is not shown again');
      const [event] = await adminAuditEvents(t, { action: 'oauth_application.created' });
      assert.equal(event.target_id, app.id);
    });

    it('registers a public client without a secret', async () => {
      const res = await submitForm(
        admin,
        '/admin/oauth-applications',
        '/admin/oauth-applications',
        {
          name: 'Mobile',
          redirect_uris: 'https://app.example/cb',
          scopes: 'read',
        },
      );
      assert.equal(res.status, 201);
      assert.equal(shownSecret(res.text), undefined);
      assert.match(textOf(res.text), /public client: it has no secret and must use PKCE/);
    });

    it('refuses invalid redirect URIs and missing scopes with sentences', async () => {
      const res = await submitForm(
        admin,
        '/admin/oauth-applications',
        '/admin/oauth-applications',
        {
          name: 'Broken',
          redirect_uris: 'http://evil.example/cb',
        },
      );
      assert.equal(res.status, 400);
      assertSentence(alertOf(res.text), /https URLs.*Choose at least one scope\./);
    });

    it('deletes an app after confirmation', async () => {
      const created = await t
        .http()
        .post('/api/v1/admin/oauth/applications')
        .set('Authorization', t.adminBasic)
        .send({ name: 'Doomed', redirect_uris: ['https://d.example/cb'], scopes: ['read'] });
      const id = created.body.id as string;
      const confirm = await admin.get(`/admin/oauth-applications/${id}/delete`);
      assert.equal(confirm.status, 200);
      assert.match(textOf(confirm.text), /Delete “Doomed”\?/);
      const res = await submitForm(
        admin,
        `/admin/oauth-applications/${id}/delete`,
        `/admin/oauth-applications/${id}/delete`,
        {},
      );
      assert.equal(res.status, 303);
      const list = await t
        .http()
        .get('/api/v1/admin/oauth/applications')
        .set('Authorization', t.adminBasic);
      assert.ok(!list.body.data.some((a: { id: string }) => a.id === id));
      const [event] = await adminAuditEvents(t, { action: 'oauth_application.deleted' });
      assert.equal(event.target_id, id);
      assert.equal((await admin.get(`/admin/oauth-applications/${id}/delete`)).status, 404);
    });
  });

  describe('/admin/legacy-auth-usage', () => {
    it('reports who used an API password, how often and from where', async () => {
      const legacy = await createUser(t);
      await setLegacyPassword(t, legacy, 'old-api-password-1');
      for (let i = 0; i < 2; i++) {
        const res = await t
          .http()
          .get('/api/v1/me')
          .set('X-AUTH-USER', legacy.username)
          .set('X-AUTH-TOKEN', 'old-api-password-1')
          .set('User-Agent', 'old-integration/1.0');
        assert.equal(res.status, 200);
      }
      const page = await admin.get('/admin/legacy-auth-usage');
      assert.equal(page.status, 200);
      const row = new RegExp(
        `<tr><td data-label="User">${legacy.username}</td>([\\s\\S]*?)</tr>`,
      ).exec(page.text);
      assert.ok(row, 'a row for the user');
      const text = textOf(row[1]);
      assert.match(text, /^2 /);
      assert.match(text, /127\.0\.0\.1 old-integration\/1\.0$/);
    });
  });

  describe('/admin/tokens', () => {
    it('lists every user’s tokens and revokes one after confirmation', async () => {
      const token = await createToken(t, alice, acme, { name: 'alice ci' });
      const page = await admin.get('/admin/tokens');
      const row = new RegExp(`<tr data-token-id="${token.id}">([\\s\\S]*?)</tr>`).exec(page.text);
      assert.ok(row);
      const text = textOf(row[1]);
      assert.match(
        text,
        new RegExp(`alice ci ${token.token.slice(0, 11)}… ${alice.username} Acme`),
      );
      const confirm = await admin.get(`/admin/tokens/${token.id}/revoke`);
      assert.match(textOf(confirm.text), new RegExp(`Revoke “alice ci” of ${alice.username}\\?`));
      const res = await submitForm(
        admin,
        `/admin/tokens/${token.id}/revoke`,
        `/admin/tokens/${token.id}/revoke`,
        {},
      );
      assert.equal(res.status, 303);
      assertError(
        await t.http().get('/api/v1/me').set('Authorization', token.bearer),
        401,
        'token_revoked',
      );
      const events = await adminAuditEvents(t, { action: 'token.revoked' });
      assert.ok(events.some((e) => e.target_id === token.id && e.actor_id !== alice.id));
      const revoked = await admin.get('/admin/tokens?state=revoked');
      assert.match(revoked.text, new RegExp(`data-token-id="${token.id}"`));
      const active = await admin.get('/admin/tokens?state=active');
      assert.doesNotMatch(active.text, new RegExp(`data-token-id="${token.id}"`));
    });
  });
});
