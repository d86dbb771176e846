import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  createToken,
  createUser,
  createWorkspace,
  TestUser,
  TestWorkspace,
} from '../support/factories';
import { OAuthBrowser } from '../support/oauth';
import { startTestApp, TestApp } from '../support/test-app';
import { alertOf, assertSentence, shownSecret, signedIn, submitForm, textOf } from './web-helpers';

const DAY_MS = 86_400_000;

/** The opening tag of the element with this id. */
function tagOf(html: string, id: string): string {
  const match = new RegExp(`<[a-z]+ [^>]*id="${id}"[^>]*>`).exec(html);
  assert.ok(match, `an element with id ${id}`);
  return match[0];
}

function option(html: string, value: string): string {
  const match = new RegExp(`<option value="${value}"[^>]*>`).exec(html);
  assert.ok(match, `an option for ${value}`);
  return match[0];
}

describe('/account/tokens and the workspace token policy (SPEC §11.3)', () => {
  let t: TestApp;
  let carol: TestUser;
  let strict: TestWorkspace;
  let browser: OAuthBrowser;

  const setPolicy = async (workspace: TestWorkspace, body: object) => {
    const res = await t
      .http()
      .patch(`/api/v1/workspaces/${workspace.id}/token-policy`)
      .set('Authorization', carol.basic)
      .send(body);
    assert.equal(res.status, 200, JSON.stringify(res.body));
  };

  const create = (fields: Record<string, string | string[]>, workspace = strict) =>
    submitForm(browser, '/account/tokens', '/account/tokens', {
      name: 'web token',
      workspace: workspace.id,
      scopes: ['read'],
      expires_in: '7',
      ...fields,
    });

  before(async () => {
    t = await startTestApp();
    carol = await createUser(t);
    strict = await createWorkspace(t, carol, { name: 'Strict', plan: 'enterprise' });
    await setPolicy(strict, { max_lifetime_days: 30, allowed_scopes: ['read', 'write'] });
    browser = await signedIn(t, carol);
  });
  after(() => t.close());

  describe('GET /account/tokens', () => {
    it('states the workspace’s token policy in words', async () => {
      const page = await browser.get('/account/tokens');
      assert.equal(page.status, 200);
      const policy = new RegExp(`<p class="notice" id="ws-${strict.id}-policy">([^<]*)</p>`).exec(
        page.text,
      );
      assert.ok(policy, 'the policy paragraph');
      assert.equal(
        textOf(policy[1]),
        'Token policy of “Strict”: tokens live at most 30 days; only the scopes read, write are allowed. Tokens that do not meet it no longer work.',
      );
    });

    it('says nothing of a workspace whose policy asks nothing', async () => {
      const open = await createWorkspace(t, carol, { name: 'Open', plan: 'enterprise' });
      const page = await browser.get('/account/tokens');
      assert.doesNotMatch(page.text, new RegExp(`id="ws-${open.id}-policy"`));
    });

    it('switches off in the create form the scopes and expiries the policy forbids', async () => {
      const page = await browser.get('/account/tokens');
      // The form as sent back after a refusal has Strict chosen (by name, Open comes first).
      const html = (await create({ scopes: ['read'], expires_in: '90' })).text;
      assert.match(option(html, strict.id), /\bselected\b/);
      for (const scope of ['read', 'write']) {
        assert.doesNotMatch(tagOf(html, `scope-${scope}`), /\bdisabled\b/, scope);
      }
      for (const scope of ['delete', 'admin']) {
        assert.match(tagOf(html, `scope-${scope}`), /\bdisabled\b/, scope);
      }
      for (const days of ['7', '30']) {
        assert.doesNotMatch(tagOf(html, `expires-${days}`), /\bdisabled\b/, days);
      }
      for (const days of ['90', '365']) {
        assert.match(tagOf(html, `expires-${days}`), /\bdisabled\b/, days);
      }
      assert.match(tagOf(html, 'expires-30'), /\bchecked\b/, 'the longest allowed preset');
      const max = new Date(Date.now() + 30 * DAY_MS).toISOString().slice(0, 10);
      assert.match(tagOf(html, 'expires-on'), new RegExp(`max="${max}"`));
      assert.match(textOf(html), /Between 1 and 30 days from now/);
      // Each workspace of the select carries its own limits, for tessera.js to follow.
      assert.match(
        option(page.text, strict.id),
        /data-allowed-scopes="read write" data-max-days="30"/,
      );
      assert.match(page.text, /data-allowed-scopes="read write delete admin" data-max-days="365"/);
      assert.match(
        page.text,
        /<select id="token-workspace" name="workspace" required data-token-policy>/,
      );
      const script = await t.http().get('/assets/tessera.js');
      assert.match(script.text, /select\[data-token-policy\]/);
    });
  });

  describe('POST /account/tokens (the server refuses too)', () => {
    it('refuses a scope outside the policy with a sentence', async () => {
      const res = await create({ scopes: ['read', 'delete'] });
      assert.equal(res.status, 400, alertOf(res.text));
      assertSentence(
        alertOf(res.text),
        /^The token policy of “Strict” allows only the scopes read, write, not delete\.$/,
      );
      assert.equal(shownSecret(res.text), undefined);
    });

    it('refuses an expiry past the policy’s maximum with a sentence', async () => {
      const res = await create({ expires_in: '90' });
      assert.equal(res.status, 400, alertOf(res.text));
      assertSentence(
        alertOf(res.text),
        /^The token policy of “Strict” allows tokens to live at most 30 days from their creation: choose an earlier expiry\.$/,
      );
      const date = new Date(Date.now() + 45 * DAY_MS).toISOString().slice(0, 10);
      const custom = await create({ expires_in: 'custom', expires_on: date });
      assert.equal(custom.status, 400);
    });

    it('says an address allow-list is required, and accepts a token with addresses', async () => {
      const fenced = await createWorkspace(t, carol, { name: 'Fenced', plan: 'enterprise' });
      await setPolicy(fenced, { require_allowed_cidrs: true });
      const page = await browser.get('/account/tokens');
      assert.match(
        textOf(page.text),
        /Token policy of “Fenced”: every token must be limited to a list of allowed addresses\./,
      );
      const res = await create({}, fenced);
      assert.equal(res.status, 400);
      assertSentence(
        alertOf(res.text),
        /^The token policy of “Fenced” requires every token to be limited to a list of allowed addresses\.$/,
      );
      const fencedIn = await create({ allowed_cidrs: '127.0.0.1' }, fenced);
      assert.equal(fencedIn.status, 201, alertOf(fencedIn.text));
    });

    it('creates a token within the policy', async () => {
      const res = await create({ scopes: ['read', 'write'], expires_in: '30' });
      assert.equal(res.status, 201, alertOf(res.text));
      assert.ok(shownSecret(res.text));
    });
  });

  describe('tokens the policy no longer allows', () => {
    it('are marked in the list, and rotating one is refused with a sentence', async () => {
      const place = await createWorkspace(t, carol, { name: 'Tightened', plan: 'enterprise' });
      const wide = await createToken(t, carol, place, { name: 'wide', scopes: ['read', 'delete'] });
      const narrow = await createToken(t, carol, place, { name: 'narrow', scopes: ['read'] });
      const row = (html: string, id: string) =>
        textOf(new RegExp(`<tr data-token-id="${id}">([\\s\\S]*?)</tr>`).exec(html)?.[1] ?? '');
      let page = await browser.get('/account/tokens');
      assert.doesNotMatch(row(page.text, wide.id), /Outside the token policy/);

      await setPolicy(place, { allowed_scopes: ['read'] });
      page = await browser.get('/account/tokens');
      assert.match(row(page.text, wide.id), /Active Outside the token policy: refused/);
      assert.doesNotMatch(row(page.text, narrow.id), /Outside the token policy/);

      const rotated = await submitForm(
        browser,
        `/account/tokens/${wide.id}/rotate`,
        `/account/tokens/${wide.id}/rotate`,
        { grace_seconds: '0' },
      );
      assert.equal(rotated.status, 400);
      assertSentence(
        alertOf(rotated.text),
        /^The token policy of “Tightened” allows only the scopes read, not delete\.$/,
      );
      // Revoking it is always possible.
      const revoked = await submitForm(
        browser,
        `/account/tokens/${wide.id}/revoke`,
        `/account/tokens/${wide.id}/revoke`,
        {},
      );
      assert.equal(revoked.status, 303);
    });
  });
});
