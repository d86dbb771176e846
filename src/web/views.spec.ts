import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AccountViews, secretPanel } from './account-views';
import { AdminViews } from './admin-views';
import { TESSERA_CSS, TESSERA_JS } from './page-assets';
import { pageTemplate } from './templates/template-loader';
import { page, Views } from './views';

const EVIL = '<b>"x" & \'y\'</b>';
const ESCAPED = '&lt;b&gt;&quot;x&quot; &amp; &#x27;y&#x27;&lt;/b&gt;';
const ctx = { title: 'T', user: 'ann', csrf: 'csrf-1', nav: { isAdmin: true, tokens: true } };
const apps = {
  apps: [],
  form: { name: '', redirectUris: '', scopes: [], confidential: false },
};

describe('page templates', () => {
  it('wraps a page in the layout, without the newline that ends each template file', () => {
    const html = Views.message({ title: 'Gone' }, { heading: 'Gone', message: 'm' });
    assert.ok(html.startsWith('<!doctype html>\n<html lang="en">'));
    assert.ok(html.includes('<title>Gone · Tessera</title>'));
    assert.ok(html.includes('<p>m</p>\n\n</section></main>'), html);
    assert.ok(html.endsWith('</body>\n</html>'));
    assert.ok(!html.includes('/assets/tessera.js'), 'the script is only for signed-in pages');
  });

  it('escapes every {{value}}; only the body is inserted as HTML', () => {
    const html = page({ title: EVIL, user: EVIL, csrf: EVIL }, '<p>body</p>');
    assert.ok(html.includes(`<title>${ESCAPED} · Tessera</title>`));
    assert.ok(html.includes(`<span class="who">${ESCAPED}</span>`));
    assert.ok(html.includes('<main id="main"><p>body</p></main>'));
    assert.ok(!html.includes('<b>'));
    const login = Views.login(ctx, { returnTo: EVIL, login: EVIL, error: EVIL });
    assert.equal(login.split(ESCAPED).length - 1, 3);
    assert.ok(!login.includes('<b>'));
  });

  it('shows a new token in the secret panel partial, escaped', () => {
    const data = { apiDisabled: false, noWorkspace: false, sections: [] };
    const secret = { heading: 'New token', secret: EVIL, usage: 'Use it.' };
    const html = AccountViews.tokens(ctx, data, secret);
    const panel = secretPanel({ ...secret, label: 'Token' });
    assert.ok(html.includes(`\n${panel}\n<section class="card" aria-labelledby="tokens-heading">`));
    assert.ok(panel.includes(`value="${ESCAPED}"`));
    assert.ok(panel.includes('<label for="new-secret">Token</label>'));
    assert.ok(panel.includes('If you lose it, revoke it and create a new one.'));
    assert.ok(!AccountViews.tokens(ctx, data).includes('new-secret'));
  });

  it("shows a confidential client's secret once, and a public client's id only", () => {
    const created = { name: 'CI', clientId: 'cid-1', secret: 'shh' };
    const confidential = AdminViews.applications(ctx, apps, created);
    assert.ok(confidential.includes('<h2 id="secret-heading">CI is registered: its client secret'));
    assert.ok(confidential.includes('value="shh"'));
    assert.ok(confidential.includes('<dt>Client id</dt><dd><code>cid-1</code></dd>'));
    assert.ok(confidential.includes('delete the application and register it again.'));

    const open = AdminViews.applications(ctx, apps, { ...created, secret: null });
    assert.ok(open.includes('<h2 id="secret-heading">CI is registered</h2>'));
    assert.ok(open.includes('it has no secret and must use PKCE'));
    assert.ok(!open.includes('new-secret'));
    assert.ok(!AdminViews.applications(ctx, apps).includes('secret-heading'));
  });

  it('names the build step when a template file is missing', () => {
    assert.throws(
      () => pageTemplate('no-such-page'),
      /no-such-page\.hbs is missing: .*copy-assets/,
    );
  });

  it('serves the stylesheet and the script from their files', () => {
    assert.match(TESSERA_CSS, /^\/\* Tessera's one stylesheet/);
    assert.ok(TESSERA_CSS.includes('.secret{border:2px solid #2457d6}'));
    assert.ok(TESSERA_JS.includes("'use strict';\n(function () {"));
  });
});
