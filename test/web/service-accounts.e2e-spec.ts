import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  addMember,
  createUser,
  createWorkspace,
  setPlan,
  TestUser,
  TestWorkspace,
} from '../support/factories';
import { hiddenFields, OAuthBrowser } from '../support/oauth';
import { RequestLogRecorder } from '../../src/tokens/request-log/request-log.recorder';
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

interface ServiceAccountBody {
  id: string;
  name: string;
  username: string;
}

describe('Service accounts on /account/tokens (SPEC §11.5)', () => {
  let t: TestApp;
  let owner: TestUser;
  let member: TestUser;
  let acme: TestWorkspace;
  let browser: OAuthBrowser;

  const me = (token: string) => t.http().get('/api/v1/me').set('Authorization', `Bearer ${token}`);

  const accounts = async (ws: TestWorkspace): Promise<ServiceAccountBody[]> => {
    const res = await t
      .http()
      .get(`/api/v1/workspaces/${ws.id}/service-accounts?limit=100`)
      .set('Authorization', owner.basic);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.data as ServiceAccountBody[];
  };

  const createAccount = (
    fields: Record<string, string>,
    as: OAuthBrowser = browser,
  ): ReturnType<typeof submitForm> =>
    submitForm(as, '/account/tokens', '/account/service-accounts', {
      workspace: acme.id,
      name: 'Page bot',
      role: 'member',
      ...fields,
    });

  const mintFor = (
    sa: ServiceAccountBody,
    fields: Record<string, string | string[]> = {},
    as: OAuthBrowser = browser,
  ): ReturnType<typeof submitForm> =>
    submitForm(as, '/account/tokens', `/account/service-accounts/${sa.id}/tokens`, {
      name: 'page deploy',
      scopes: ['read', 'write'],
      expires_in: '30',
      ...fields,
    });

  /** The block of the page that shows one service account. */
  const blockOf = (html: string, sa: ServiceAccountBody): string => {
    const match = new RegExp(
      `<div class="service-account" id="sa-${sa.id}"[^>]*>([\\s\\S]*?)</div>\\s*(?:<div class="service-account"|<p class="empty"|<form method="post" action="/account/service-accounts"|<h3|</section>)`,
    ).exec(html);
    assert.ok(match, `the page shows the service account ${sa.name}`);
    return match[1];
  };

  before(async () => {
    t = await startTestApp();
    owner = await createUser(t);
    member = await createUser(t);
    acme = await createWorkspace(t, owner, { name: 'Acme', plan: 'enterprise' });
    await addMember(t, acme, owner, member, 'member');
    browser = await signedIn(t, owner);
  });
  after(() => t.close());

  it('sends a browser without a session to /login', async () => {
    const path = '/account/service-accounts/6f1c7a2e-0000-4000-8000-000000000000/delete';
    const res = await new OAuthBrowser(t).get(path);
    assert.equal(res.status, 303);
    assert.equal(res.location, `/login?return_to=${encodeURIComponent(path)}`);
  });

  it('shows managers a Service accounts section per workspace they manage, members none', async () => {
    const page = await browser.get('/account/tokens');
    assert.equal(page.status, 200);
    assert.match(page.text, /<h2 id="sa-heading">Service accounts<\/h2>/);
    assert.match(page.text, new RegExp(`<h3 id="sa-ws-${acme.id}">Acme</h3>`));
    assert.match(page.text, /<form method="post" action="\/account\/service-accounts" /);
    assert.ok(hiddenFields(page.text, '/account/service-accounts')._csrf, 'with a CSRF token');

    const theirs = await signedIn(t, member);
    const memberPage = await theirs.get('/account/tokens');
    assert.equal(memberPage.status, 200);
    assert.doesNotMatch(memberPage.text, /id="sa-heading"/);
  });

  it('creates a service account through the form, audited like the API', async () => {
    const res = await createAccount({ name: 'Page bot', role: 'admin' });
    assert.equal(res.status, 303, alertOf(res.text));
    assert.match(res.location ?? '', /^\/account\/tokens#sa-[0-9a-f-]{36}$/);
    const sa = (await accounts(acme)).find((a) => a.name === 'Page bot');
    assert.ok(sa, 'the service account exists');
    const page = await browser.get('/account/tokens');
    assert.match(
      textOf(page.text),
      /The service account “Page bot” \(sa-[0-9a-f]{12}\) is a admin/,
    );
    assert.match(
      textOf(blockOf(page.text, sa)),
      /Page bot sa-[0-9a-f]{12} · admin No tokens yet\./,
    );
    const events = await t
      .http()
      .get('/api/v1/audit-events')
      .query({ action: 'service_account.created' })
      .set('Authorization', owner.basic)
      .set('X-Workspace-Id', acme.id);
    const event = (
      events.body.data as Array<{ target_id: string; actor_id: string; actor_type: string }>
    ).find((e) => e.target_id === sa.id);
    assert.equal(event?.actor_id, owner.id);
    assert.equal(event?.actor_type, 'user');
  });

  it('refuses a blank name, another role and a member, in sentences', async () => {
    for (const [fields, sentence] of [
      [{ name: '  ' }, /Give the service account a name/],
      [{ role: 'owner' }, /Choose the role member or admin/],
      [{ workspace: '6f1c7a2e-0000-4000-8000-000000000000' }, /Choose one of your workspaces/],
    ] as const) {
      const res = await createAccount(fields);
      assert.ok(res.status === 400 || res.status === 403, `status ${res.status}`);
      assertSentence(alertOf(res.text), sentence);
    }
    // A member has no form, and a post made anyway is refused by the workspace policy.
    const theirs = await signedIn(t, member);
    const page = await theirs.get('/account/tokens');
    const res = await postForm(theirs, '/account/service-accounts', {
      _csrf: hiddenFields(page.text, '/logout')._csrf,
      workspace: acme.id,
      name: 'Sneaky bot',
      role: 'admin',
    });
    assert.equal(res.status, 403);
    assertSentence(alertOf(res.text), /Your role \(member\) in this workspace does not allow this/);
    assert.ok(!(await accounts(acme)).some((a) => a.name === 'Sneaky bot'));
  });

  it('makes a token for a service account, shown once, that acts as the account', async () => {
    const sa = (await accounts(acme)).find((a) => a.name === 'Page bot') as ServiceAccountBody;
    const res = await mintFor(sa, { name: 'page deploy', scopes: ['read'], expires_in: '7' });
    assert.equal(res.status, 201, alertOf(res.text));
    const secret = shownSecret(res.text);
    assert.ok(secret, 'the new token is on the page');
    assert.match(textOf(res.text), /you will not see it again/i);
    const api = await me(secret);
    assert.equal(api.status, 200, JSON.stringify(api.body));
    assert.equal(api.body.type, 'service_account');
    assert.equal(api.body.id, sa.id);
    assert.deepEqual(api.body.auth.scopes, ['read']);
    const page = await browser.get('/account/tokens');
    assert.ok(!page.text.includes(secret), 'never shown again');
    const block = textOf(blockOf(page.text, sa));
    assert.match(block, /page deploy/);
    assert.match(block, new RegExp(`${secret.slice(0, 11)}…`));
    assert.match(block, /Active/);

    const refused = await mintFor(sa, { scopes: [] });
    assert.equal(refused.status, 400);
    assertSentence(alertOf(refused.text), /Choose at least one scope\./);
  });

  it('shows managers a service account token’s usage; members get a 404 page', async () => {
    const sa = (await accounts(acme)).find((a) => a.name === 'Page bot') as ServiceAccountBody;
    const minted = await mintFor(sa, { name: 'watched', scopes: ['read'] });
    assert.equal(minted.status, 201, alertOf(minted.text));
    const secret = shownSecret(minted.text) as string;
    const projects = await t
      .http()
      .get('/api/v1/projects?limit=3')
      .set('Authorization', `Bearer ${secret}`)
      .set('X-Workspace-Id', acme.id)
      .set('User-Agent', 'sa-usage-check/1');
    assert.equal(projects.status, 200, JSON.stringify(projects.body));
    await t.app.get(RequestLogRecorder).flush();

    const block = blockOf((await browser.get('/account/tokens')).text, sa);
    const tokenId =
      /<tr data-token-id="([0-9a-f-]{36})">\s*<td data-label="Token name">watched</.exec(
        block,
      )?.[1];
    assert.ok(tokenId, 'the token has a row');
    const path = `/account/service-accounts/${sa.id}/tokens/${tokenId}/usage`;
    assert.ok(block.includes(`action="${path}"`), 'the token row has a Usage button');

    const page = await browser.get(path);
    assert.equal(page.status, 200, alertOf(page.text));
    const text = textOf(page.text);
    assert.match(text, /Usage of “watched” of the service account “Page bot”/);
    assert.match(text, new RegExp(sa.username));
    assert.match(page.text, /<svg[^>]*role="img"/);
    assert.match(text, /\/api\/v1\/projects/);
    assert.match(text, /sa-usage-check\/1/);
    assert.ok(!page.text.includes(secret), 'the secret is never on the page');

    const theirs = await signedIn(t, member);
    const refused = await theirs.get(path);
    assert.equal(refused.status, 404);
    const elsewhere = await browser.get(
      `/account/service-accounts/${sa.id}/tokens/6f1c7a2e-0000-4000-8000-000000000000/usage`,
    );
    assert.equal(elsewhere.status, 404);

    // Revoked again, so that the later tests count the same working tokens as before.
    const revoke = `/account/service-accounts/${sa.id}/tokens/${tokenId}/revoke`;
    assert.equal((await submitForm(browser, revoke, revoke, {})).status, 303);
  });

  it('revokes one of its tokens after a confirmation', async () => {
    const sa = (await accounts(acme)).find((a) => a.name === 'Page bot') as ServiceAccountBody;
    const minted = await mintFor(sa, { name: 'short-lived' });
    assert.equal(minted.status, 201, alertOf(minted.text));
    const secret = shownSecret(minted.text) as string;
    const block = blockOf((await browser.get('/account/tokens')).text, sa);
    const tokenId =
      /<tr data-token-id="([0-9a-f-]{36})">\s*<td data-label="Token name">short-lived</.exec(
        block,
      )?.[1];
    assert.ok(tokenId, 'the new token has a row');
    assert.ok(
      block.includes(`action="/account/service-accounts/${sa.id}/tokens/${tokenId}/revoke"`),
      'the token row has a Revoke button',
    );
    const path = `/account/service-accounts/${sa.id}/tokens/${tokenId}/revoke`;
    const confirm = await browser.get(path);
    assert.equal(confirm.status, 200);
    assert.match(textOf(confirm.text), /Revoke “.*” of the service account “Page bot”\?/);
    const res = await submitForm(browser, path, path, {});
    assert.equal(res.status, 303, res.text);
    const refused = await me(secret);
    assert.equal(refused.status, 401);
    assert.equal(refused.body.code, 'token_revoked');
    const page = await browser.get('/account/tokens');
    assert.match(textOf(page.text), /of “Page bot” is revoked: it no longer works\./);
    assert.doesNotMatch(page.text, new RegExp(`data-token-id="${tokenId}"`));
  });

  it('names service accounts as such in the admin token inventory', async () => {
    const sa = (await accounts(acme)).find((a) => a.name === 'Page bot') as ServiceAccountBody;
    const admin = await signedIn(t, { username: ADMIN_USERNAME, password: ADMIN_PASSWORD });
    const page = await admin.get('/admin/tokens?state=active');
    assert.equal(page.status, 200);
    assert.match(textOf(page.text), new RegExp(`${sa.username} \\(service account\\)`));
  });

  it('follows the workspace’s token policy: scopes it forbids are off, addresses it requires', async () => {
    const strict = await createWorkspace(t, owner, { name: 'Strict Co', plan: 'enterprise' });
    const policy = await t
      .http()
      .patch(`/api/v1/workspaces/${strict.id}/token-policy`)
      .set('Authorization', owner.basic)
      .send({ allowed_scopes: ['read'], require_allowed_cidrs: true });
    assert.equal(policy.status, 200, JSON.stringify(policy.body));
    const created = await t
      .http()
      .post(`/api/v1/workspaces/${strict.id}/service-accounts`)
      .set('Authorization', owner.basic)
      .send({ name: 'Strict bot', role: 'member' });
    assert.equal(created.status, 201);
    const sa = created.body as ServiceAccountBody;
    const page = await browser.get('/account/tokens');
    assert.match(
      page.text,
      new RegExp(`id="sa-scope-${sa.id}-write" name="scopes" value="write" disabled`),
    );
    assert.match(
      page.text,
      new RegExp(`<textarea id="sa-addresses-${sa.id}" name="allowed_cidrs" rows="2" required`),
    );

    const refused = await mintFor(sa, { scopes: ['read'] });
    assert.equal(refused.status, 400);
    assertSentence(
      alertOf(refused.text),
      /requires every token to be limited to a list of allowed addresses/,
    );
    const minted = await mintFor(sa, { scopes: ['read'], allowed_cidrs: '127.0.0.1\n::1' });
    assert.equal(minted.status, 201, alertOf(minted.text));
    const api = await me(shownSecret(minted.text) as string);
    assert.equal(api.status, 200, JSON.stringify(api.body));
    assert.equal(api.body.type, 'service_account');
  });

  it('gives members no way to a service account: 404 page', async () => {
    const sa = (await accounts(acme)).find((a) => a.name === 'Page bot') as ServiceAccountBody;
    const theirs = await signedIn(t, member);
    const confirm = await theirs.get(`/account/service-accounts/${sa.id}/delete`);
    assert.equal(confirm.status, 404);
    assert.match(textOf(confirm.text), /does not exist, or you do not manage its workspace/);
  });

  it('says why no token can be made on a plan without API access', async () => {
    const free = await createWorkspace(t, owner, { name: 'Free Co', plan: 'free' });
    const res = await t
      .http()
      .post(`/api/v1/workspaces/${free.id}/service-accounts`)
      .set('Authorization', owner.basic)
      .send({ name: 'Free bot', role: 'member' });
    assert.equal(res.status, 201);
    const page = await browser.get('/account/tokens');
    const section = new RegExp(`<h3 id="sa-ws-${free.id}">([\\s\\S]*?)(?:<h3|</section>)`).exec(
      page.text,
    );
    assert.ok(section, 'the free workspace has a section');
    assert.match(textOf(section[1]), /The Free plan of “Free Co” has no API access/);
    assert.doesNotMatch(section[1], /Create a token for/);
    const minted = await postForm(browser, `/account/service-accounts/${res.body.id}/tokens`, {
      _csrf: hiddenFields(page.text, '/logout')._csrf,
      name: 'free token',
      scopes: ['read'],
      expires_in: '30',
    });
    assert.equal(minted.status, 403);
    assertSentence(alertOf(minted.text), /The Free plan of “Free Co” has no API access/);
  });

  it('deletes a service account after a confirmation: its tokens stop working', async () => {
    const sa = (await accounts(acme)).find((a) => a.name === 'Page bot') as ServiceAccountBody;
    const minted = await mintFor(sa, { name: 'doomed' });
    const secret = shownSecret(minted.text) as string;
    assert.equal((await me(secret)).status, 200);

    const confirm = await browser.get(`/account/service-accounts/${sa.id}/delete`);
    assert.equal(confirm.status, 200);
    assert.match(textOf(confirm.text), /Delete the service account “Page bot”\?/);
    assert.match(textOf(confirm.text), /Working tokens 2/);
    const res = await submitForm(
      browser,
      `/account/service-accounts/${sa.id}/delete`,
      `/account/service-accounts/${sa.id}/delete`,
      {},
    );
    assert.equal(res.status, 303, res.text);
    assert.equal(res.location, '/account/tokens');
    const page = await browser.get('/account/tokens');
    assert.match(textOf(page.text), /The service account “Page bot” is deleted/);
    assert.doesNotMatch(page.text, new RegExp(`id="sa-${sa.id}"`));
    const refused = await me(secret);
    assert.equal(refused.status, 401);
    assert.equal(refused.body.code, 'token_revoked');
    const again = await browser.get(`/account/service-accounts/${sa.id}/delete`);
    assert.equal(again.status, 404);
  });

  it('refuses a form without the CSRF token', async () => {
    const res = await postForm(browser, '/account/service-accounts', {
      workspace: acme.id,
      name: 'No CSRF bot',
      role: 'member',
    });
    assert.equal(res.status, 403);
    assert.ok(!(await accounts(acme)).some((a) => a.name === 'No CSRF bot'));
  });

  it('keeps the billing rules: no new service account while read-only', async () => {
    const unpaid = await createWorkspace(t, owner, { name: 'Unpaid Co', plan: 'team' });
    await setPlan(t, unpaid.id, { billing_status: 'read_only' });
    const res = await createAccount({ workspace: unpaid.id });
    assert.equal(res.status, 402);
    assertSentence(alertOf(res.text), /“Unpaid Co” is read-only until its billing is settled/);
  });
});
