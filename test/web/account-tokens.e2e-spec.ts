import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminAuditEvents, patchSettings } from '../credentials/credential-helpers';
import {
  addMember,
  assertError,
  createToken,
  createUser,
  createWorkspace,
  setPlan,
  TestUser,
  TestWorkspace,
} from '../support/factories';
import { hiddenFields, OAuthBrowser } from '../support/oauth';
import { startTestApp, TestApp } from '../support/test-app';
import {
  alertOf,
  assertSentence,
  postForm,
  shownSecret,
  signedIn,
  submitForm,
  textOf,
} from './web-helpers';

const DAY_MS = 86_400_000;

describe('/account/tokens (SPEC §10)', () => {
  let t: TestApp;
  let alice: TestUser;
  let acme: TestWorkspace;
  let browser: OAuthBrowser;

  const create = (
    fields: Record<string, string | string[]>,
    as: OAuthBrowser = browser,
  ): ReturnType<typeof submitForm> =>
    submitForm(as, '/account/tokens', '/account/tokens', {
      name: 'web token',
      workspace: acme.id,
      scopes: ['read'],
      expires_in: '30',
      ...fields,
    });

  const me = (token: string) => t.http().get('/api/v1/me').set('Authorization', `Bearer ${token}`);

  before(async () => {
    t = await startTestApp();
    alice = await createUser(t);
    // Enterprise: no token limit, so the specs below never run into it by accident.
    acme = await createWorkspace(t, alice, { name: 'Acme', plan: 'enterprise' });
    browser = await signedIn(t, alice);
  });
  after(() => t.close());

  describe('without a session', () => {
    for (const path of [
      '/account/tokens',
      '/account/tokens/6f1c7a2e-0000-4000-8000-000000000000/revoke',
      '/account/tokens/6f1c7a2e-0000-4000-8000-000000000000/rotate',
    ]) {
      it(`GET ${path} sends the browser to /login and back`, async () => {
        const res = await new OAuthBrowser(t).get(path);
        assert.equal(res.status, 303);
        assert.equal(res.location, `/login?return_to=${encodeURIComponent(path)}`);
      });
    }

    it('GET / leads to the token page', async () => {
      const res = await new OAuthBrowser(t).get('/');
      assert.equal(res.status, 303);
      assert.equal(res.location, '/account/tokens');
    });

    it('signing in returns to the token page', async () => {
      const res = await new OAuthBrowser(t).submitLogin(alice, { returnTo: '/account/tokens' });
      assert.equal(res.status, 303);
      assert.equal(res.location, '/account/tokens');
    });

    it('a signed-out session (after /logout) is sent to /login again', async () => {
      const mine = await signedIn(t, alice);
      const page = await mine.get('/account/tokens');
      const logout = await postForm(mine, '/logout', {
        _csrf: hiddenFields(page.text, '/logout')._csrf,
      });
      assert.equal(logout.status, 303);
      const res = await mine.get('/account/tokens');
      assert.equal(res.status, 303);
      assert.match(res.location ?? '', /^\/login\?/);
    });
  });

  describe('ending sessions the cookie cannot take back', () => {
    /** The session cookie as the browser holds it after `step` (name=value). */
    const cookieOf = (step: { headers: Record<string, unknown> }): string => {
      const header = step.headers['set-cookie'];
      const cookies = (Array.isArray(header) ? header : [header]).map(String);
      const session = cookies.find((c) => c.startsWith('tessera_session='));
      assert.ok(session, 'the step sets the session cookie');
      return session.split(';')[0];
    };
    const withCookie = (cookie: string) =>
      t.http().get('/account/tokens').set('Cookie', cookie).redirects(0);

    it('signing out is audited as web.logout', async () => {
      const user = await createUser(t);
      const mine = await signedIn(t, user);
      const page = await mine.get('/account/tokens');
      const logout = await postForm(mine, '/logout', {
        _csrf: hiddenFields(page.text, '/logout')._csrf,
      });
      assert.equal(logout.status, 303);
      const events = await adminAuditEvents(t, { action: 'web.logout' });
      assert.ok(
        events.some((e) => e.target_id === user.id),
        JSON.stringify(events),
      );
    });

    it('a password change by an admin ends the sessions signed in before it', async () => {
      const user = await createUser(t);
      const signIn = await new OAuthBrowser(t).submitLogin(user);
      const copy = cookieOf(signIn);
      assert.equal((await withCookie(copy)).status, 200);
      await t
        .http()
        .patch(`/api/v1/admin/users/${user.id}`)
        .set('Authorization', t.adminBasic)
        .send({ password: 'a-new-password-after-a-leak' })
        .expect(200);
      const after = await withCookie(copy);
      assert.equal(after.status, 303);
      const again = await new OAuthBrowser(t).submitLogin({
        username: user.username,
        password: 'a-new-password-after-a-leak',
      });
      assert.equal(again.status, 303);
    });
  });

  describe('GET /account/tokens', () => {
    it('lists the user’s tokens per workspace with prefix, scopes, expiry, last use and state', async () => {
      const token = await createToken(t, alice, acme, { name: 'listed token', scopes: ['read'] });
      assert.equal((await me(token.token)).status, 200);
      const res = await browser.get('/account/tokens');
      assert.equal(res.status, 200);
      assert.match(String(res.headers['content-type']), /text\/html/);
      assert.equal(res.headers['cache-control'], 'no-store');
      const row = new RegExp(`<tr data-token-id="${token.id}">([\\s\\S]*?)</tr>`).exec(res.text);
      assert.ok(row, 'the token has a row');
      const text = textOf(row[1]);
      assert.match(text, /listed token/);
      assert.match(text, new RegExp(`${token.token.slice(0, 11)}…`));
      assert.match(text, /\bread\b/);
      assert.match(
        text,
        /\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC from 127\.0\.0\.1/,
        'last used time and IP',
      );
      assert.match(text, /Active/);
      assert.ok(!res.text.includes(token.token), 'the secret is never shown again');
      assert.match(textOf(res.text), /Acme/);
    });

    it('carries the security headers and no inline script', async () => {
      const res = await browser.get('/account/tokens');
      const csp = String(res.headers['content-security-policy']);
      assert.match(csp, /script-src 'self'/);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
      assert.doesNotMatch(res.text, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline <script>');
      assert.doesNotMatch(res.text, /\son[a-z]+="/, 'no inline event handlers');
      assert.match(res.text, /<script src="\/assets\/tessera\.js" defer><\/script>/);
    });

    it('offers scopes with explanations and expiry presets within the instance maximum', async () => {
      const res = await browser.get('/account/tokens');
      for (const scope of ['read', 'write', 'delete', 'admin']) {
        assert.match(
          res.text,
          new RegExp(`<input type="checkbox" id="scope-${scope}" name="scopes"`),
        );
        assert.match(
          res.text,
          new RegExp(`<p class="hint" id="scope-${scope}-hint">[^<]{20,}</p>`),
        );
      }
      for (const days of ['7', '30', '90', '365']) {
        assert.match(
          res.text,
          new RegExp(`<input type="radio" id="expires-${days}" name="expires_in" value="${days}"`),
        );
      }
      assert.match(res.text, /<input type="date" id="expires-on" name="expires_on"/);
      assert.match(res.text, /<label for="token-name">Name<\/label>/);
    });

    it('serves the copy-button script as an external file', async () => {
      const res = await t.http().get('/assets/tessera.js');
      assert.equal(res.status, 200);
      assert.match(String(res.headers['content-type']), /^text\/javascript/);
      assert.match(res.text, /navigator\.clipboard/);
    });
  });

  describe('POST /account/tokens', () => {
    it('creates a token shown exactly once, which works on the API', async () => {
      const res = await create({ name: 'deploy bot', scopes: ['read', 'write'], expires_in: '7' });
      assert.equal(res.status, 201, res.text);
      const secret = shownSecret(res.text);
      assert.ok(secret, 'the new token is on the page');
      assert.match(secret, /^ts_[0-9A-Za-z]{32}$/);
      assert.match(textOf(res.text), /you will not see it again/i);
      assert.match(
        res.text,
        /<button type="button" data-copy-target="new-secret" hidden>Copy<\/button>/,
      );
      const api = await me(secret);
      assert.equal(api.status, 200, JSON.stringify(api.body));
      assert.equal(api.body.auth.method, 'bearer');
      assert.deepEqual(api.body.auth.scopes, ['read', 'write']);
      assert.equal(api.body.auth.workspace_id, acme.id);
      const days = (Date.parse(api.body.auth.expires_at) - Date.now()) / DAY_MS;
      assert.ok(days > 6.9 && days <= 7, `expires in 7 days, not ${days}`);
      const again = await browser.get('/account/tokens');
      assert.ok(!again.text.includes(secret), 'never shown again');
    });

    it('records the creation in the audit log, by the signed-in user', async () => {
      const res = await create({ name: 'audited' });
      assert.equal(res.status, 201);
      const id = /data-token-id="([^"]+)">\s*<td data-label="Name">audited</.exec(res.text)?.[1];
      assert.ok(id);
      const events = await adminAuditEvents(t, { action: 'token.created' });
      const event = events.find((e) => e.target_id === id);
      assert.ok(event, 'token.created event');
      assert.equal(event.actor_id, alice.id);
      assert.equal(event.workspace_id, acme.id);
    });

    it('accepts an expiry date instead of a preset', async () => {
      const date = new Date(Date.now() + 45 * DAY_MS).toISOString().slice(0, 10);
      const res = await create({ name: 'dated', expires_in: 'custom', expires_on: date });
      assert.equal(res.status, 201, alertOf(res.text));
      const api = await me(shownSecret(res.text) as string);
      assert.equal(api.body.auth.expires_at.slice(0, 10), date);
    });

    const invalid: Array<[string, Record<string, string | string[]>, RegExp]> = [
      ['a blank name', { name: '   ' }, /Give the token a name/],
      ['no scope', { scopes: [] }, /Choose at least one scope\./],
      ['an expiry of 400 days', { expires_in: '400' }, /between 1 and 365 days/],
      [
        'an expiry date today',
        { expires_in: 'custom', expires_on: new Date().toISOString().slice(0, 10) },
        /between 1 and 365 days/,
      ],
      [
        'a custom expiry without a date',
        { expires_in: 'custom', expires_on: '' },
        /Pick the expiry date/,
      ],
      [
        'a workspace of someone else',
        { workspace: '6f1c7a2e-0000-4000-8000-000000000000' },
        /Choose one of your workspaces/,
      ],
    ];
    for (const [what, fields, sentence] of invalid) {
      it(`refuses ${what} with a sentence and keeps the form`, async () => {
        const res = await create({ name: 'kept name', ...fields });
        assert.ok(res.status === 400 || res.status === 403, `status ${res.status}`);
        assertSentence(alertOf(res.text), sentence);
        assert.equal(shownSecret(res.text), undefined);
        if (fields.name === undefined) {
          assert.match(res.text, /id="token-name" name="name"[^>]*value="kept name"/);
        }
      });
    }

    it('lowers the presets and the limit to the admin’s maximum lifetime', async () => {
      await patchSettings(t, { max_token_lifetime_days: 30 });
      try {
        const page = await browser.get('/account/tokens');
        assert.doesNotMatch(page.text, /id="expires-90"/);
        assert.match(page.text, /id="expires-30"/);
        const res = await create({ expires_in: '90' });
        assert.equal(res.status, 400);
        assertSentence(alertOf(res.text), /between 1 and 30 days/);
      } finally {
        await patchSettings(t, { max_token_lifetime_days: 365 });
      }
    });
  });

  describe('SPEC errors, shown as sentences', () => {
    it('a plan without API access (plan_required)', async () => {
      const free = await createWorkspace(t, alice, { plan: 'free', name: 'Free Co' });
      const page = await browser.get('/account/tokens');
      assert.match(textOf(page.text), /The Free plan of “Free Co” has no API access/);
      const res = await create({ workspace: free.id });
      assert.equal(res.status, 403);
      assertSentence(
        alertOf(res.text),
        /The Free plan of “Free Co” has no API access.*upgrade it to Pro/,
      );
    });

    it('the plan’s token limit (token_limit_reached)', async () => {
      const full = await createWorkspace(t, alice, { name: 'Full Co' });
      for (let i = 0; i < 5; i++) {
        await createToken(t, alice, full, { name: `filler ${i}` });
      }
      const res = await create({ workspace: full.id });
      assert.equal(res.status, 409);
      assertSentence(alertOf(res.text), /already has its 5 active API tokens\. Revoke one/);
    });

    it('billing read-only (workspace_read_only)', async () => {
      const unpaid = await createWorkspace(t, alice, { name: 'Unpaid Co' });
      await setPlan(t, unpaid.id, { billing_status: 'read_only' });
      const res = await create({ workspace: unpaid.id });
      assert.equal(res.status, 402);
      assertSentence(alertOf(res.text), /“Unpaid Co” is read-only until its billing is settled/);
    });

    it('a viewer cannot create tokens (forbidden)', async () => {
      const viewer = await createUser(t);
      await addMember(t, acme, alice, viewer, 'viewer');
      const theirs = await signedIn(t, viewer);
      const page = await theirs.get('/account/tokens');
      assert.match(
        textOf(page.text),
        /Your role in “Acme” is viewer, which does not include API access/,
      );
      const res = await create({}, theirs);
      assert.equal(res.status, 403);
      assertSentence(alertOf(res.text), /Your role in “Acme” is viewer/);
      const list = await t
        .http()
        .get('/api/v1/admin/tokens')
        .query({ user_id: viewer.id })
        .set('Authorization', t.adminBasic);
      assert.equal(list.body.total_count, 0, 'no token was created');
    });
  });

  describe('revoke', () => {
    it('asks for confirmation, then revokes; the API refuses the token', async () => {
      const token = await createToken(t, alice, acme, { name: 'to revoke' });
      const confirm = await browser.get(`/account/tokens/${token.id}/revoke`);
      assert.equal(confirm.status, 200);
      assert.match(textOf(confirm.text), /Revoke “to revoke”\?/);
      assert.equal((await me(token.token)).status, 200, 'the confirmation page changes nothing');
      const res = await submitForm(
        browser,
        `/account/tokens/${token.id}/revoke`,
        `/account/tokens/${token.id}/revoke`,
        {},
      );
      assert.equal(res.status, 303);
      assert.equal(res.location, '/account/tokens');
      assertError(await me(token.token), 401, 'token_revoked');
      const page = await browser.get('/account/tokens');
      assert.match(textOf(page.text), /The token “to revoke” \(ts_\w{8}…\) is revoked/);
      const row = new RegExp(`<tr data-token-id="${token.id}">([\\s\\S]*?)</tr>`).exec(page.text);
      assert.match(textOf(row?.[1] ?? ''), /Revoked/);
    });

    it('works in a workspace whose billing is read-only', async () => {
      const unpaid = await createWorkspace(t, alice);
      const token = await createToken(t, alice, unpaid);
      await setPlan(t, unpaid.id, { billing_status: 'read_only' });
      const res = await submitForm(
        browser,
        `/account/tokens/${token.id}/revoke`,
        `/account/tokens/${token.id}/revoke`,
        {},
      );
      assert.equal(res.status, 303);
      assertError(await me(token.token), 401, 'token_revoked');
    });

    it('works on a plan without API access', async () => {
      const downgraded = await createWorkspace(t, alice, { name: 'Downgraded Co' });
      const token = await createToken(t, alice, downgraded);
      await setPlan(t, downgraded.id, { plan: 'free' });
      const res = await submitForm(
        browser,
        `/account/tokens/${token.id}/revoke`,
        `/account/tokens/${token.id}/revoke`,
        {},
      );
      assert.equal(res.status, 303);
      await setPlan(t, downgraded.id, { plan: 'pro' });
      assertError(await me(token.token), 401, 'token_revoked');
    });

    it('shows 404 for someone else’s token and leaves it working', async () => {
      const bob = await createUser(t);
      const bobs = await createWorkspace(t, bob);
      const token = await createToken(t, bob, bobs);
      const res = await browser.get(`/account/tokens/${token.id}/revoke`);
      assert.equal(res.status, 404);
      assertSentence(
        textOf(/<p>([^<]*)<\/p>/.exec(res.text)?.[1] ?? ''),
        /does not exist, or it is not yours/,
      );
      const page = await browser.get('/account/tokens');
      const post = await postForm(browser, `/account/tokens/${token.id}/revoke`, {
        _csrf: hiddenFields(page.text, '/account/tokens')._csrf,
      });
      assert.equal(post.status, 404);
      assert.equal((await me(token.token)).status, 200);
    });
  });

  describe('rotate', () => {
    it('shows the replacement once; the old token stops working at once', async () => {
      const token = await createToken(t, alice, acme, {
        name: 'to rotate',
        scopes: ['read', 'delete'],
      });
      const res = await submitForm(
        browser,
        `/account/tokens/${token.id}/rotate`,
        `/account/tokens/${token.id}/rotate`,
        { grace_seconds: '0' },
      );
      assert.equal(res.status, 201, alertOf(res.text));
      const secret = shownSecret(res.text);
      assert.ok(secret && secret !== token.token);
      assert.match(textOf(res.text), /you will not see it again/i);
      assertError(await me(token.token), 401, 'token_revoked');
      const api = await me(secret);
      assert.equal(api.status, 200);
      assert.deepEqual(api.body.auth.scopes, ['read', 'delete']);
    });

    it('keeps the old token working through a chosen grace period', async () => {
      const token = await createToken(t, alice, acme, { name: 'graceful' });
      const res = await submitForm(
        browser,
        `/account/tokens/${token.id}/rotate`,
        `/account/tokens/${token.id}/rotate`,
        { grace_seconds: '3600' },
      );
      assert.equal(res.status, 201);
      assert.equal((await me(token.token)).status, 200);
      assert.match(textOf(res.text), /keeps working until/);
    });
  });

  describe('CSRF', () => {
    it('refuses every POST without the form’s token, with a page, and changes nothing', async () => {
      const token = await createToken(t, alice, acme);
      const posts: Array<[string, Record<string, string>]> = [
        ['/account/tokens', { name: 'csrf', workspace: acme.id, scopes: 'read', expires_in: '7' }],
        [`/account/tokens/${token.id}/revoke`, {}],
        [`/account/tokens/${token.id}/rotate`, { grace_seconds: '0' }],
      ];
      for (const [action, fields] of posts) {
        const res = await postForm(browser, action, fields);
        assert.equal(res.status, 403, action);
        assert.match(String(res.headers['content-type']), /text\/html/);
        assert.match(textOf(res.text), /This form has expired/);
        // A page: the page's policies, under which its stylesheet loads.
        assert.match(String(res.headers['content-security-policy']), /style-src 'self'/);
        const foreign = hiddenFields((await new OAuthBrowser(t).get('/login')).text, '/login');
        const other = await postForm(browser, action, { ...fields, _csrf: foreign._csrf });
        assert.equal(other.status, 403, `${action} with another session's token`);
      }
      assert.equal((await me(token.token)).status, 200, 'neither revoked nor rotated');
      const list = await t
        .http()
        .get('/api/v1/admin/tokens')
        .query({ user_id: alice.id, limit: '100' })
        .set('Authorization', t.adminBasic);
      assert.ok(!list.body.data.some((x: { name: string }) => x.name === 'csrf'));
    });
  });

  describe('the JSON API and the session cookie', () => {
    it('does not accept the session cookie (401 missing_credentials)', async () => {
      const res = await browser.agent.get('/api/v1/me');
      assertError(res, 401, 'missing_credentials');
      const tokens = await browser.agent.get('/api/v1/tokens').set('X-Workspace-Id', acme.id);
      assertError(tokens, 401, 'missing_credentials');
      const created = await browser.agent
        .post('/api/v1/tokens')
        .set('X-Workspace-Id', acme.id)
        .send({ name: 'cookie', scopes: ['read'], expires_in_days: 7 });
      assertError(created, 401, 'missing_credentials');
    });
  });
});
