import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BrowserContext, Page } from 'playwright-core';
import { createUser, createWorkspace, TestUser, TestWorkspace } from '../support/factories';
import { OAuthTestApp, startOAuthTestApp } from '../support/oauth';
import { ADMIN_PASSWORD, ADMIN_USERNAME } from '../support/test-app';
import {
  DESKTOP,
  launchChromium,
  newContext,
  overflowsHorizontally,
  PHONE,
  RealBrowser,
  readmeShot,
  screenshot,
  screenshotOf,
  signIn,
  watchProblems,
} from './browser';

// The token page and Swagger UI in a real browser (Debian's Chromium through playwright-core):
// what a person does, on a desktop and on a 390×844 phone screen (SPEC §10, issue 5).

describe('Web pages in a real browser', () => {
  let t: OAuthTestApp;
  let chromium: RealBrowser | undefined;
  // Kept and rethrown by every test, so a missing browser fails each of them (not "cancelled").
  let launchError: unknown;
  let alice: TestUser;
  let acme: TestWorkspace;
  let base: string;

  const api = (path: string, token: string, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, { headers: { Authorization: `Bearer ${token}`, ...headers } });

  /** A fresh browser context at `viewport`, its page, and the problems the page reports. */
  async function open(viewport: {
    width: number;
    height: number;
  }): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
    if (!chromium) {
      throw launchError;
    }
    const context = await newContext(chromium.browser, base, viewport);
    const page = await context.newPage();
    return { context, page, problems: watchProblems(page) };
  }

  /** Fills the create form like a person and returns the token read from the page. */
  async function createThroughForm(
    page: Page,
    name: string,
    options: { scopes?: string[]; preset?: string } = {},
  ): Promise<string> {
    await page.getByLabel('Name', { exact: true }).fill(name);
    await page.getByLabel('Workspace').selectOption({ label: 'Acme' });
    for (const scope of options.scopes ?? []) {
      await page.getByRole('checkbox', { name: scope, exact: true }).check();
    }
    await page.getByRole('radio', { name: new RegExp(`^${options.preset ?? '30'} days`) }).check();
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.getByRole('heading', { name: `Your new token “${name}” for Acme` }).waitFor();
    assert.match((await page.getByRole('alert').textContent()) ?? '', /you will not see it again/i);
    const token = await page.getByLabel('Token', { exact: true }).inputValue();
    assert.match(token, /^ts_[0-9A-Za-z]{32}$/);
    return token;
  }

  /** Revokes the token called `name` through the confirmation page. */
  async function revokeThroughPage(page: Page, name: string, shot?: string): Promise<void> {
    await page.getByRole('button', { name: `Revoke token ${name}` }).click();
    await page.getByRole('heading', { name: `Revoke “${name}”?` }).waitFor();
    if (shot) {
      await screenshot(page, shot);
      await readmeShot(page, shot);
    }
    await page.getByRole('button', { name: 'Revoke token' }).click();
    await page.waitForURL('**/account/tokens');
    await page.getByText(`The token “${name}”`).waitFor();
  }

  /** The table row of the token called `name` (on phones the cells also show their label). */
  function rowOf(page: Page, name: string) {
    return page.locator('tr').filter({
      has: page.locator('td[data-label="Name"]').getByText(name, { exact: true }),
    });
  }

  async function stateOf(page: Page, name: string): Promise<string> {
    return ((await rowOf(page, name).locator('.state').textContent()) ?? '').trim();
  }

  before(async () => {
    try {
      chromium = await launchChromium();
    } catch (error) {
      launchError = error;
    }
    // PUBLIC_URL is the app's real address, so Swagger UI's "Try it out" calls this server.
    t = await startOAuthTestApp();
    base = t.issuer.origin;
    alice = await createUser(t);
    acme = await createWorkspace(t, alice, { name: 'Acme', plan: 'enterprise' });
  });
  after(async () => {
    await chromium?.close();
    await t?.close();
  });

  it('runs Debian’s Chromium from /usr/bin/chromium', () => {
    if (!chromium) {
      throw launchError;
    }
  });

  for (const [label, viewport] of [
    ['desktop', DESKTOP],
    ['phone (390×844)', PHONE],
  ] as const) {
    it(`${label}: signs in, creates a token, uses it, revokes it and sees the API refuse it`, async () => {
      const suffix = viewport === PHONE ? '-phone' : '';
      const { context, page, problems } = await open(viewport);
      try {
        await signIn(page, alice);
        await page.getByRole('heading', { name: 'API tokens' }).waitFor();
        await screenshot(page, `tokens${suffix}`);
        assert.equal(await overflowsHorizontally(page), false, 'no sideways scrolling');

        const name = `laptop ${label}`;
        const token = await createThroughForm(page, name, { scopes: ['write'], preset: '90' });
        await screenshot(page, `token-created${suffix}`);
        await readmeShot(page, `token-created${suffix}`);
        assert.equal(await overflowsHorizontally(page), false, 'no sideways scrolling');

        // The copy button (external script, Clipboard API) puts exactly the token on the clipboard.
        await page.getByRole('button', { name: 'Copy' }).click();
        await page.getByText('Copied to the clipboard.').waitFor();
        assert.equal(await page.evaluate<string>('navigator.clipboard.readText()'), token);

        const me = await api('/api/v1/me', token);
        assert.equal(me.status, 200);
        const body = (await me.json()) as { username: string; auth: { scopes: string[] } };
        assert.equal(body.username, alice.username);
        assert.deepEqual(body.auth.scopes, ['read', 'write']);
        const projects = await api('/api/v1/projects', token, { 'X-Workspace-Id': acme.id });
        assert.equal(projects.status, 200);

        // Back on the list: the token is there (used just now, from this machine), its secret not.
        await page.getByRole('link', { name: 'API tokens' }).click();
        await rowOf(page, name).waitFor();
        assert.equal(await stateOf(page, name), 'Active');
        assert.ok(!(await page.content()).includes(token), 'the token is never shown again');
        assert.match((await rowOf(page, name).textContent()) ?? '', /UTC from 127\.0\.0\.1/);

        await revokeThroughPage(page, name, `revoke-confirm${suffix}`);
        assert.equal(await stateOf(page, name), 'Revoked: revoked by hand');
        await screenshot(page, `token-revoked${suffix}`);

        const refused = await api('/api/v1/me', token);
        assert.equal(refused.status, 401);
        assert.equal(((await refused.json()) as { code: string }).code, 'token_revoked');
        assert.deepEqual(problems, [], 'no script errors or CSP violations');
      } finally {
        await context.close();
      }
    });
  }

  it('rotates a token: the new one is shown once and works, the old one stops', async () => {
    const { context, page, problems } = await open(DESKTOP);
    try {
      await signIn(page, alice);
      const old = await createThroughForm(page, 'rotating');
      await page.getByRole('link', { name: 'API tokens' }).click();
      await page.getByRole('button', { name: 'Rotate token rotating' }).click();
      await page.getByRole('heading', { name: 'Rotate “rotating”?' }).waitFor();
      await page.getByLabel('The old token').selectOption({ label: 'Stops working immediately' });
      await page.getByRole('button', { name: 'Rotate token' }).click();
      await page.getByRole('heading', { name: 'Your new token for “rotating”' }).waitFor();
      const fresh = await page.getByLabel('Token', { exact: true }).inputValue();
      assert.notEqual(fresh, old);
      assert.equal((await api('/api/v1/me', fresh)).status, 200);
      assert.equal((await api('/api/v1/me', old)).status, 401);
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });

  it('works with the keyboard alone', async () => {
    const { context, page } = await open(PHONE);
    try {
      await signIn(page, alice);
      await page.getByLabel('Name', { exact: true }).focus();
      await page.keyboard.type('typed on a keyboard');
      // Tab through the form to its submit button: every control is reachable, in order.
      let focused = '';
      for (let i = 0; i < 30 && focused !== 'Create token'; i++) {
        await page.keyboard.press('Tab');
        focused = await page.evaluate<string>('document.activeElement?.textContent ?? ""');
      }
      assert.equal(focused, 'Create token', 'the submit button is reachable with Tab');
      // A visible focus indicator (outline) on the focused button.
      const outline = await page.evaluate<string>(
        'getComputedStyle(document.activeElement).outlineStyle',
      );
      assert.notEqual(outline, 'none');
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { name: /Your new token “typed on a keyboard”/ }).waitFor();
    } finally {
      await context.close();
    }
  });

  it('shows SPEC errors as sentences (plan without API access)', async () => {
    await createWorkspace(t, alice, { name: 'Zeta Free', plan: 'free' });
    const { context, page } = await open(PHONE);
    try {
      await signIn(page, alice);
      await page.getByLabel('Name', { exact: true }).fill('not allowed');
      await page
        .getByLabel('Workspace')
        .selectOption({ label: 'Zeta Free (no new tokens possible)' });
      await page.getByRole('button', { name: 'Create token' }).click();
      const alert = page.locator('#create-error');
      await alert.waitFor();
      const text = (await alert.textContent()) ?? '';
      assert.match(text, /The Free plan of “Zeta Free” has no API access/);
      assert.doesNotMatch(text, /plan_required/);
      await screenshot(page, 'token-error-phone');
    } finally {
      await context.close();
    }
  });

  it('admin pages: an admin revokes a user’s token; a non-admin gets a 403 page', async () => {
    const { context, page, problems } = await open(DESKTOP);
    const other = await open(DESKTOP);
    try {
      // Alice makes a token in her own browser; the admin revokes it from /admin/tokens.
      await signIn(other.page, alice);
      const token = await createThroughForm(other.page, 'seen by the admin');
      const forbidden = await other.page.goto('/admin/tokens');
      assert.equal(forbidden?.status(), 403);
      await other.page.getByRole('heading', { name: /Only instance administrators/ }).waitFor();

      await signIn(page, { username: ADMIN_USERNAME, password: ADMIN_PASSWORD });
      await page.getByRole('link', { name: 'Admin' }).click();
      await page.getByRole('heading', { name: 'Administration' }).waitFor();
      await screenshot(page, 'admin');
      await page.getByRole('link', { name: 'All API tokens' }).click();
      await page.getByRole('heading', { name: 'All API tokens' }).waitFor();
      await screenshot(page, 'admin-tokens');
      await readmeShot(page, 'admin-tokens');
      await page
        .getByRole('button', { name: `Revoke token seen by the admin of ${alice.username}` })
        .click();
      await page.getByRole('button', { name: 'Revoke token' }).click();
      await page.getByText('“seen by the admin”').first().waitFor();
      assert.equal((await api('/api/v1/me', token)).status, 401);

      await page.goto('/admin/settings');
      await page.getByRole('heading', { name: 'Instance settings' }).waitFor();
      await screenshot(page, 'admin-settings');
      await page.goto('/admin/oauth-applications');
      await page.getByLabel('Name').fill('Reporting');
      await page.getByLabel(/Redirect URIs/).fill('https://reports.example/callback');
      await page.getByRole('button', { name: 'Register application' }).click();
      await page.getByRole('heading', { name: /Reporting is registered/ }).waitFor();
      assert.match(
        await page.getByRole('textbox', { name: 'Client secret' }).inputValue(),
        /^tss_/,
      );
      await screenshot(page, 'admin-oauth-applications');
      await page.goto('/admin/legacy-auth-usage');
      await page.getByRole('heading', { name: 'Legacy API password report' }).waitFor();
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
      await other.context.close();
    }
  });

  it('Swagger UI: Authorize with a pasted token, then "Try it out" on /me and /projects', async () => {
    const { context, page, problems } = await open(DESKTOP);
    try {
      await signIn(page, alice);
      const token = await createThroughForm(page, 'for swagger');

      await page.goto('/api/docs');
      await page.getByRole('button', { name: 'Authorize' }).first().click();
      // One section per security scheme, headed by the scheme's name.
      const bearer = page.locator('.auth-container').filter({
        has: page.locator('h4 code').getByText('bearer', { exact: true }),
      });
      await bearer.getByLabel('auth-bearer-value').fill(token);
      await screenshotOf(page.locator('.modal-ux'), 'swagger-authorize');
      await bearer.getByRole('button', { name: 'Apply credentials' }).click();
      await bearer.getByRole('button', { name: 'Remove authorization' }).waitFor();
      await page.locator('.modal-ux .close-modal').click();

      const me = page.locator('.opblock').filter({
        has: page.locator('.opblock-summary-path[data-path="/api/v1/me"]'),
      });
      await me.locator('.opblock-summary-path[data-path="/api/v1/me"]').click();
      await me.getByRole('button', { name: 'Try it out' }).click();
      await me.getByRole('button', { name: 'Execute' }).click();
      const meStatus = me.locator('.live-responses-table tr.response .response-col_status').first();
      await meStatus.waitFor();
      assert.equal((await meStatus.textContent())?.trim(), '200');
      assert.match(
        (await me.locator('.live-responses-table').textContent()) ?? '',
        new RegExp(alice.username),
      );

      const projects = page.locator('.opblock').filter({
        has: page.locator('.opblock-summary-path[data-path="/api/v1/projects"]'),
        hasText: 'GET',
      });
      await projects.locator('.opblock-summary-path[data-path="/api/v1/projects"]').first().click();
      await projects.getByRole('button', { name: 'Try it out' }).click();
      await projects.locator('tr[data-param-name="X-Workspace-Id"] input').fill(acme.id);
      await projects.getByRole('button', { name: 'Execute' }).click();
      const projectsStatus = projects
        .locator('.live-responses-table tr.response .response-col_status')
        .first();
      await projectsStatus.waitFor();
      assert.equal((await projectsStatus.textContent())?.trim(), '200');
      await screenshotOf(projects, 'swagger-try-it-out');
      assert.deepEqual(
        problems.filter((p) => !/favicon/.test(p)),
        [],
        'no script errors or CSP violations in Swagger UI',
      );
    } finally {
      await context.close();
    }
  });
});
