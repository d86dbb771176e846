import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fromAddress } from '../support/net';
import { createUser, createWorkspace, TestUser, TestWorkspace } from '../support/factories';
import { OAuthBrowser } from '../support/oauth';
import { ADMIN_PASSWORD, ADMIN_USERNAME, startTestApp, TestApp } from '../support/test-app';
import { alertOf, assertSentence, shownSecret, signedIn, submitForm, textOf } from './web-helpers';

// SPEC §11.1 on /account/tokens: restrictions set when creating and changed later, through the
// same TokensService as the API (so the same rules and the same audit).

describe('/account/tokens: restricting a token', () => {
  let t: TestApp;
  let alice: TestUser;
  let acme: TestWorkspace;
  let browser: OAuthBrowser;
  const projects: Record<string, string> = {};

  const tokenByName = async (name: string) => {
    const res = await t
      .http()
      .get('/api/v1/tokens?limit=100')
      .set('Authorization', alice.basic)
      .set('X-Workspace-Id', acme.id);
    return (res.body.data as Array<Record<string, unknown>>).find((x) => x.name === name);
  };

  before(async () => {
    t = await startTestApp();
    alice = await createUser(t);
    acme = await createWorkspace(t, alice, { name: 'Acme', plan: 'enterprise' });
    for (const identifier of ['web', 'ops', 'infra']) {
      const res = await t
        .http()
        .post('/api/v1/projects')
        .set('Authorization', alice.basic)
        .set('X-Workspace-Id', acme.id)
        .send({ name: identifier, identifier });
      assert.equal(res.status, 201);
      projects[identifier] = res.body.id as string;
    }
    browser = await signedIn(t, alice);
  });
  after(() => t.close());

  it('creates a token restricted to addresses and projects, shown in its row', async () => {
    const res = await submitForm(browser, '/account/tokens', '/account/tokens', {
      name: 'restricted web token',
      workspace: acme.id,
      scopes: ['read'],
      expires_in: '30',
      allowed_cidrs: '127.0.0.1\n10.1.2.3/16',
      projects: 'web, ops',
    });
    assert.equal(res.status, 201, alertOf(res.text) || res.text.slice(0, 500));
    const secret = shownSecret(res.text);
    assert.ok(secret);
    const token = await tokenByName('restricted web token');
    assert.deepEqual(token?.allowed_cidrs, ['127.0.0.1', '10.1.0.0/16']);
    assert.deepEqual(token?.project_ids, [projects.web, projects.ops]);
    const list = await t
      .http()
      .get('/api/v1/projects')
      .set('Authorization', `Bearer ${secret}`)
      .set('X-Workspace-Id', acme.id);
    assert.equal(list.body.total_count, 2);
    const page = textOf((await browser.get('/account/tokens')).text);
    assert.match(page, /From 127\.0\.0\.1, 10\.1\.0\.0\/16 · Projects web, ops/);
  });

  it('refuses bad addresses and unknown projects beside the form, in sentences, creating nothing', async () => {
    for (const [fields, expected] of [
      [{ allowed_cidrs: '10.0.0.0/40' }, /is not an IPv4 or IPv6 address or CIDR block/],
      [{ projects: 'web, nope' }, /No project with the identifier “nope”/],
    ] as const) {
      const res = await submitForm(browser, '/account/tokens', '/account/tokens', {
        name: 'never made',
        workspace: acme.id,
        scopes: ['read'],
        expires_in: '30',
        ...fields,
      });
      assert.equal(res.status, 400);
      assertSentence(alertOf(res.text), expected);
    }
    assert.equal(await tokenByName('never made'), undefined);
  });

  it('changes a token’s name and restrictions on its restrict page, applied on the next request', async () => {
    const created = await submitForm(browser, '/account/tokens', '/account/tokens', {
      name: 'to restrict',
      workspace: acme.id,
      scopes: ['read'],
      expires_in: '30',
    });
    const secret = shownSecret(created.text) as string;
    const token = await tokenByName('to restrict');
    const path = `/account/tokens/${token?.id as string}/restrict`;
    const form = await browser.get(path);
    assert.equal(form.status, 200);
    assert.match(textOf(form.text), /Restrict “to restrict”/);

    const saved = await submitForm(browser, path, path, {
      name: 'restricted now',
      allowed_cidrs: '127.0.0.1',
      projects: 'infra',
    });
    assert.equal(saved.status, 303, alertOf(saved.text));
    assert.equal(saved.location, '/account/tokens');
    const home = textOf((await browser.get('/account/tokens')).text);
    assert.match(home, /The token “restricted now” is saved/);
    const call = (ip: string) =>
      t
        .http()
        .get('/api/v1/projects')
        .set('Authorization', `Bearer ${secret}`)
        .set('X-Workspace-Id', acme.id)
        .agent(fromAddress(ip));
    const here = await call('127.0.0.1');
    assert.equal(here.status, 200);
    assert.equal(here.body.total_count, 1);
    assert.equal((await call('127.0.0.2')).status, 403);

    // The form shows the current values; emptying them lifts both restrictions.
    const again = await browser.get(path);
    assert.match(again.text, /<textarea[^>]*>127\.0\.0\.1<\/textarea>/);
    assert.match(again.text, /name="projects" value="infra"/);
    const lifted = await submitForm(browser, path, path, {
      name: 'restricted now',
      allowed_cidrs: '',
      projects: '',
    });
    assert.equal(lifted.status, 303);
    assert.equal((await call('127.0.0.2')).body.total_count, 3);
    const audited = await t.dataSource.query(
      "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'token.updated' AND target_id = ?",
      [token?.id],
    );
    assert.equal(Number((audited as Array<{ n: number }>)[0].n), 2);
  });

  it('shows a refused change beside the form and changes nothing', async () => {
    const token = await tokenByName('restricted web token');
    const path = `/account/tokens/${token?.id as string}/restrict`;
    const res = await submitForm(browser, path, path, {
      name: 'restricted web token',
      allowed_cidrs: 'example.com',
      projects: '',
    });
    assert.equal(res.status, 400);
    assertSentence(alertOf(res.text), /“example\.com” is not an IPv4 or IPv6 address/);
    assert.deepEqual((await tokenByName('restricted web token'))?.allowed_cidrs, [
      '127.0.0.1',
      '10.1.0.0/16',
    ]);
  });

  it('says why a token was revoked, on the account page and in the admin inventory', async () => {
    const token = await tokenByName('restricted web token');
    const res = await t
      .http()
      .delete(`/api/v1/tokens/${token?.id as string}`)
      .set('Authorization', alice.basic)
      .set('X-Workspace-Id', acme.id);
    assert.equal(res.status, 204);
    const row = (html: string): string =>
      textOf(
        new RegExp(`<tr data-token-id="${token?.id as string}">[\\s\\S]*?</tr>`).exec(html)?.[0] ??
          '',
      );
    assert.match(row((await browser.get('/account/tokens')).text), /Revoked: revoked by hand/);
    const admin = await signedIn(t, { username: ADMIN_USERNAME, password: ADMIN_PASSWORD });
    const inventory = await admin.get('/admin/tokens?state=revoked');
    assert.equal(inventory.status, 200);
    assert.match(textOf(inventory.text), /Revoked: revoked by hand/);
  });

  it('answers 404 for another user’s token', async () => {
    const bob = await createUser(t);
    const bobBrowser = await signedIn(t, bob);
    const token = await tokenByName('restricted web token');
    const res = await bobBrowser.get(`/account/tokens/${token?.id as string}/restrict`);
    assert.equal(res.status, 404);
  });
});

describe('/account/tokens: tokens that expire soon (SPEC §11.4)', () => {
  let t: TestApp;
  let alice: TestUser;
  let acme: TestWorkspace;
  let browser: OAuthBrowser;

  before(async () => {
    t = await startTestApp();
    alice = await createUser(t);
    acme = await createWorkspace(t, alice, { name: 'Acme', plan: 'enterprise' });
    browser = await signedIn(t, alice);
  });
  after(() => t.close());

  it('shows a notice and renews with one click: a new token, the old one working for a day', async () => {
    const created = await t
      .http()
      .post('/api/v1/tokens')
      .set('Authorization', alice.basic)
      .set('X-Workspace-Id', acme.id)
      .send({ name: 'nightly', scopes: ['read'], expires_in_days: 5 });
    assert.equal(created.status, 201);
    const later = await t
      .http()
      .post('/api/v1/tokens')
      .set('Authorization', alice.basic)
      .set('X-Workspace-Id', acme.id)
      .send({ name: 'monthly', scopes: ['read'], expires_in_days: 30 });
    const page = await browser.get('/account/tokens');
    const text = textOf(page.text);
    assert.match(
      text,
      /Your token “nightly” \(ts_\w+…\) expires on \d{4}-\d\d-\d\d \d\d:\d\d UTC\./,
    );
    assert.doesNotMatch(text, /Your token “monthly”/);
    assert.match(
      page.text,
      new RegExp(`action="/account/tokens/${created.body.id as string}/renew"`),
    );
    assert.doesNotMatch(page.text, new RegExp(`/account/tokens/${later.body.id as string}/renew`));

    const renewed = await submitForm(
      browser,
      '/account/tokens',
      `/account/tokens/${created.body.id as string}/renew`,
      {},
    );
    assert.equal(renewed.status, 201, alertOf(renewed.text) || renewed.text.slice(0, 400));
    const secret = shownSecret(renewed.text) as string;
    assert.ok(secret);
    const me = (token: string) =>
      t
        .http()
        .get('/api/v1/tokens/self')
        .set('Authorization', `Bearer ${token}`)
        .set('X-Workspace-Id', acme.id);
    const fresh = await me(secret);
    assert.equal(fresh.status, 200);
    // It lived 5 days, and so does its replacement.
    const lifetime = Date.parse(fresh.body.expires_at as string) - Date.now();
    assert.ok(lifetime > 4.9 * 86_400_000 && lifetime <= 5 * 86_400_000, String(lifetime));
    assert.equal(fresh.body.expires_soon, true);
    assert.equal((await me(created.body.token as string)).status, 200, 'the old token still works');
    const old = await t
      .http()
      .get(`/api/v1/tokens/${created.body.id as string}`)
      .set('Authorization', alice.basic)
      .set('X-Workspace-Id', acme.id);
    const graceEnds = Date.parse(old.body.revoked_at as string);
    assert.ok(
      Math.abs(graceEnds - (Date.now() + 86_400_000)) < 120_000,
      old.body.revoked_at as string,
    );
    // The rotated token is no longer offered a renewal.
    assert.doesNotMatch(
      (await browser.get('/account/tokens')).text,
      new RegExp(`/account/tokens/${created.body.id as string}/renew`),
    );
  });
});
