import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiToken } from '../../src/tokens/entities/api-token.entity';
import {
  createToken,
  createUser,
  createWorkspace,
  TestToken,
  TestUser,
  TestWorkspace,
} from '../support/factories';
import { ADMIN_PASSWORD, ADMIN_USERNAME, startTestApp, TestApp } from '../support/test-app';
import { signedIn, textOf } from '../web/web-helpers';

// SPEC §11.2: the admin inventory's filters (idle_days, expiring_within_days, user_id,
// workspace_id, state), on the API and on /admin/tokens.

const DAY_MS = 86_400_000;

describe('Admin token inventory filters (SPEC §11.2)', () => {
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  let ws: TestWorkspace;
  let other: TestWorkspace;
  let idle: TestToken;
  let fresh: TestToken;
  let expiring: TestToken;
  let elsewhere: TestToken;

  const list = async (query: string): Promise<string[]> => {
    const res = await t
      .http()
      .get(`/api/v1/admin/tokens?limit=100&${query}`)
      .set('Authorization', t.adminBasic);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return (res.body.data as Array<{ id: string }>).map((x) => x.id).sort();
  };

  before(async () => {
    t = await startTestApp();
    alice = await createUser(t);
    bob = await createUser(t);
    ws = await createWorkspace(t, alice, { plan: 'enterprise' });
    other = await createWorkspace(t, bob, { plan: 'enterprise' });
    idle = await createToken(t, alice, ws);
    fresh = await createToken(t, alice, ws);
    expiring = await createToken(t, alice, ws, { days: 3 });
    elsewhere = await createToken(t, bob, other);
    const repo = t.dataSource.getRepository(ApiToken);
    const now = Date.now();
    // Never used, created 40 days ago; used yesterday; used 50 days ago.
    await repo.update({ id: idle.id }, { createdAt: new Date(now - 40 * DAY_MS) });
    await repo.update(
      { id: fresh.id },
      { createdAt: new Date(now - 40 * DAY_MS), lastUsedAt: new Date(now - DAY_MS) },
    );
    await repo.update(
      { id: elsewhere.id },
      { createdAt: new Date(now - 90 * DAY_MS), lastUsedAt: new Date(now - 50 * DAY_MS) },
    );
  });
  after(() => t.close());

  it('filters by idle_days: never used counts from creation', async () => {
    assert.deepEqual(await list('idle_days=30'), [idle.id, elsewhere.id].sort());
    assert.deepEqual(await list('idle_days=45'), [elsewhere.id]);
  });

  it('filters by expiring_within_days', async () => {
    assert.deepEqual(await list('expiring_within_days=7'), [expiring.id]);
    assert.deepEqual(await list('expiring_within_days=1'), []);
  });

  it('combines the filters with user_id, workspace_id and state', async () => {
    assert.deepEqual(await list(`idle_days=30&user_id=${alice.id}`), [idle.id]);
    assert.deepEqual(await list(`idle_days=30&workspace_id=${other.id}`), [elsewhere.id]);
    assert.deepEqual(await list(`state=revoked&idle_days=30`), []);
  });

  it('refuses bad values with 400 validation_failed', async () => {
    for (const query of [
      'idle_days=0',
      'idle_days=abc',
      'expiring_within_days=366',
      'idle_days=1.5',
    ]) {
      const res = await t
        .http()
        .get(`/api/v1/admin/tokens?${query}`)
        .set('Authorization', t.adminBasic);
      assert.equal(res.status, 400, query);
      assert.equal(res.body.code, 'validation_failed');
    }
  });

  it('offers the same filters on /admin/tokens, kept in the form and the paging links', async () => {
    const admin = await signedIn(t, { username: ADMIN_USERNAME, password: ADMIN_PASSWORD });
    const page = await admin.get(`/admin/tokens?owner=${alice.username}&idle_days=30`);
    assert.equal(page.status, 200);
    assert.ok(page.text.includes(`data-token-id="${idle.id}"`));
    assert.ok(!page.text.includes(`data-token-id="${fresh.id}"`));
    assert.ok(!page.text.includes(`data-token-id="${elsewhere.id}"`));
    assert.match(page.text, /id="idle_days"[^>]*value="30"/);
    assert.match(textOf(page.text), /1–1 of 1 tokens/);
    const expiringPage = await admin.get(`/admin/tokens?expiring_within_days=7&workspace=${ws.id}`);
    assert.ok(expiringPage.text.includes(`data-token-id="${expiring.id}"`));
    assert.match(textOf(expiringPage.text), /1–1 of 1 tokens/);
    const nobody = await admin.get('/admin/tokens?owner=nobody-like-this');
    assert.match(textOf(nobody.text), /No tokens\./);
  });
});
