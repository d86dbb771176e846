import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { quotaWindow, secondsUntil } from '../../src/rate-limit/quota';
import { QuotaLedger } from '../../src/rate-limit/quota-ledger';
import {
  assertError,
  createUser,
  createWorkspace,
  setPlan,
  TestUser,
  TestWorkspace,
} from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';
import { signedIn, textOf } from '../web/web-helpers';

interface Created {
  id: string;
  bearer: string;
  body: Record<string, unknown>;
}

async function createQuotaToken(
  t: TestApp,
  user: TestUser,
  ws: TestWorkspace,
  quota: unknown,
  scopes = ['read', 'write'],
): Promise<Created> {
  const res = await t
    .http()
    .post('/api/v1/tokens')
    .set('Authorization', user.basic)
    .set('X-Workspace-Id', ws.id)
    .send({ name: 'quota bot', scopes, expires_in_days: 7, quota });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return {
    id: res.body.id as string,
    bearer: `Bearer ${res.body.token as string}`,
    body: res.body as Record<string, unknown>,
  };
}

function projects(t: TestApp, bearer: string, ws: TestWorkspace) {
  return t.http().get('/api/v1/projects').set('Authorization', bearer).set('X-Workspace-Id', ws.id);
}

async function shown(t: TestApp, user: TestUser, ws: TestWorkspace, id: string) {
  const res = await t
    .http()
    .get(`/api/v1/tokens/${id}`)
    .set('Authorization', user.basic)
    .set('X-Workspace-Id', ws.id)
    .expect(200);
  return res.body as Record<string, unknown>;
}

describe('token quotas (SPEC §11.1), one instance without Redis', () => {
  let t: TestApp;
  let owner: TestUser;
  let ws: TestWorkspace;

  before(async () => {
    t = await startTestApp();
    owner = await createUser(t);
    ws = await createWorkspace(t, owner);
    await setPlan(t, ws.id, { token_packs: 2 });
  });
  after(() => t?.close());

  it('counts down in X-Quota-* headers, then refuses with 429 quota_exceeded until the UTC day ends', async () => {
    const token = await createQuotaToken(t, owner, ws, { limit: 3, period: 'day' });
    assert.deepEqual(token.body.quota, { limit: 3, period: 'day' });
    assert.equal(token.body.quota_used, 0);
    for (let i = 1; i <= 3; i++) {
      const res = await projects(t, token.bearer, ws).expect(200);
      assert.equal(res.headers['x-quota-limit'], '3');
      assert.equal(res.headers['x-quota-remaining'], String(3 - i));
      const expected = secondsUntil(quotaWindow('day', Date.now()), Date.now());
      const reset = Number(res.headers['x-quota-reset']);
      assert.ok(Math.abs(reset - expected) <= 2, `X-Quota-Reset ${reset}, expected ~${expected}`);
    }
    const refused = await projects(t, token.bearer, ws);
    assertError(refused, 429, 'quota_exceeded');
    const retryAfter = Number(refused.headers['retry-after']);
    const expected = secondsUntil(quotaWindow('day', Date.now()), Date.now());
    assert.ok(Math.abs(retryAfter - expected) <= 2, `Retry-After ${retryAfter} ~ ${expected}`);
    assert.equal(refused.headers['x-quota-remaining'], '0');
    assert.equal(refused.headers['x-quota-limit'], '3');
    // A quota_exceeded refusal is not counted.
    await projects(t, token.bearer, ws).expect(429);
    assert.equal((await shown(t, owner, ws, token.id)).quota_used, 3);
  });

  it('never keeps a token from revoking itself: past its quota or its rate limit, DELETE still works', async () => {
    const spent = await createQuotaToken(t, owner, ws, { limit: 1, period: 'day' }, [
      'read',
      'delete',
    ]);
    await projects(t, spent.bearer, ws).expect(200);
    assertError(await projects(t, spent.bearer, ws), 429, 'quota_exceeded');
    const revoked = await t
      .http()
      .delete(`/api/v1/tokens/${spent.id}`)
      .set('Authorization', spent.bearer)
      .set('X-Workspace-Id', ws.id);
    assert.equal(revoked.status, 204, JSON.stringify(revoked.body));
    assert.equal((await shown(t, owner, ws, spent.id)).revoked_reason, 'manual');

    const slow = await t
      .http()
      .post('/api/v1/tokens')
      .set('Authorization', owner.basic)
      .set('X-Workspace-Id', ws.id)
      .send({ name: 'slow', scopes: ['read', 'delete'], expires_in_days: 7, rate_limit: 1 })
      .expect(201);
    const bearer = `Bearer ${slow.body.token as string}`;
    await projects(t, bearer, ws).expect(200);
    assertError(await projects(t, bearer, ws), 429, 'rate_limited');
    const gone = await t
      .http()
      .delete(`/api/v1/tokens/${slow.body.id as string}`)
      .set('Authorization', bearer)
      .set('X-Workspace-Id', ws.id);
    assert.equal(gone.status, 204, JSON.stringify(gone.body));
    assertError(await projects(t, bearer, ws), 401, 'token_revoked');
  });

  it('counts refusals after authentication (403), and shows quota_used in lists too', async () => {
    const token = await createQuotaToken(t, owner, ws, { limit: 2, period: 'month' }, ['read']);
    const forbidden = await t
      .http()
      .post('/api/v1/projects')
      .set('Authorization', token.bearer)
      .set('X-Workspace-Id', ws.id)
      .send({ name: 'Nope', identifier: 'nope' });
    assertError(forbidden, 403, 'insufficient_scope');
    assert.equal(forbidden.headers['x-quota-remaining'], '1');
    const last = await projects(t, token.bearer, ws).expect(200);
    assert.equal(last.headers['x-quota-remaining'], '0');
    const monthEnd = secondsUntil(quotaWindow('month', Date.now()), Date.now());
    assert.ok(Math.abs(Number(last.headers['x-quota-reset']) - monthEnd) <= 2);
    assertError(await projects(t, token.bearer, ws), 429, 'quota_exceeded');
    const list = await t
      .http()
      .get('/api/v1/tokens')
      .set('Authorization', owner.basic)
      .set('X-Workspace-Id', ws.id)
      .expect(200);
    const row = (list.body.data as Array<Record<string, unknown>>).find((r) => r.id === token.id);
    assert.equal(row?.quota_used, 2);
    // The owner's token page says it in words.
    const page = await (await signedIn(t, owner)).get('/account/tokens');
    assert.equal(page.status, 200);
    assert.match(textOf(page.text), /Quota 2 of 2 requests this month \(UTC\)/);
  });

  it('a request refused for its address is not counted (it never authenticated)', async () => {
    const created = await t
      .http()
      .post('/api/v1/tokens')
      .set('Authorization', owner.basic)
      .set('X-Workspace-Id', ws.id)
      .send({
        name: 'fenced',
        scopes: ['read'],
        expires_in_days: 7,
        allowed_cidrs: ['192.0.2.0/24'],
        quota: { limit: 5, period: 'day' },
      })
      .expect(201);
    const res = await projects(t, `Bearer ${created.body.token as string}`, ws);
    assertError(res, 403, 'ip_not_allowed');
    assert.equal((await shown(t, owner, ws, created.body.id as string)).quota_used, 0);
  });

  it('is exact under parallel requests: 10 of 25 get through', async () => {
    const token = await createQuotaToken(t, owner, ws, { limit: 10, period: 'day' });
    const results = await Promise.all(
      Array.from({ length: 25 }, () => projects(t, token.bearer, ws)),
    );
    const statuses = results.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 200).length, 10, statuses.join(','));
    assert.equal(statuses.filter((s) => s === 429).length, 15);
    assert.equal((await shown(t, owner, ws, token.id)).quota_used, 10);
  });

  it('is changed with PATCH (audited), applies on the next request, and null lifts it', async () => {
    const token = await createQuotaToken(t, owner, ws, { limit: 1, period: 'day' });
    await projects(t, token.bearer, ws).expect(200);
    assertError(await projects(t, token.bearer, ws), 429, 'quota_exceeded');
    const patch = (body: object) =>
      t
        .http()
        .patch(`/api/v1/tokens/${token.id}`)
        .set('Authorization', owner.basic)
        .set('X-Workspace-Id', ws.id)
        .send(body);
    const raised = await patch({ quota: { limit: 3, period: 'day' } }).expect(200);
    assert.deepEqual(raised.body.quota, { limit: 3, period: 'day' });
    assert.equal(raised.body.quota_used, 1);
    const next = await projects(t, token.bearer, ws).expect(200);
    assert.equal(next.headers['x-quota-remaining'], '1');
    const lifted = await patch({ quota: null }).expect(200);
    assert.equal(lifted.body.quota, null);
    assert.equal(lifted.body.quota_used, null);
    const free = await projects(t, token.bearer, ws).expect(200);
    assert.equal(free.headers['x-quota-limit'], undefined);

    const audit = await t.dataSource.query<Array<{ metadata: string }>>(
      "SELECT metadata FROM audit_events WHERE action = 'token.updated' AND target_id = ? ORDER BY created_at",
      [token.id],
    );
    const changes = audit.map((a) =>
      typeof a.metadata === 'string'
        ? (JSON.parse(a.metadata) as Record<string, unknown>)
        : a.metadata,
    );
    assert.deepEqual(changes[0].quota, { limit: 3, period: 'day' });
    assert.equal(changes[1].quota, null);
    assert.equal('quota_limit' in changes[0], false);
  });

  it('refuses a malformed quota with 400 validation_failed naming the field, changing nothing', async () => {
    for (const [quota, field] of [
      [{ limit: 0, period: 'day' }, 'quota.limit'],
      [{ limit: 10, period: 'week' }, 'quota.period'],
      [{ limit: 1.5, period: 'day' }, 'quota.limit'],
      [{ limit: 10, period: 'day', burst: 3 }, 'quota.burst'],
      ['1000/day', 'quota'],
      [[10, 'day'], 'quota'],
    ] as const) {
      const res = await t
        .http()
        .post('/api/v1/tokens')
        .set('Authorization', owner.basic)
        .set('X-Workspace-Id', ws.id)
        .send({ name: 'bad quota', scopes: ['read'], expires_in_days: 7, quota });
      assertError(res, 400, 'validation_failed');
      const fields = (res.body.details as Array<{ field: string }>).map((d) => d.field);
      assert.ok(fields.includes(field), `${JSON.stringify(quota)}: ${fields.join(',')}`);
    }
    const named = await t.dataSource.query<unknown[]>(
      "SELECT id FROM api_tokens WHERE name = 'bad quota'",
    );
    assert.equal(named.length, 0);
  });

  it('persists counts in batches: the count is in the database after a flush', async () => {
    const token = await createQuotaToken(t, owner, ws, { limit: 100, period: 'month' });
    for (let i = 0; i < 4; i++) {
      await projects(t, token.bearer, ws).expect(200);
    }
    await t.app.get(QuotaLedger).flush();
    const rows = await t.dataSource.query<Array<{ period_key: string; used: number | string }>>(
      'SELECT period_key, used FROM token_quota_usage WHERE token_id = ?',
      [token.id],
    );
    assert.deepEqual(
      rows.map((r) => ({ period: r.period_key, used: Number(r.used) })),
      [{ period: quotaWindow('month', Date.now()).key, used: 4 }],
    );
    // A second flush with nothing new adds nothing.
    await t.app.get(QuotaLedger).flush();
    const again = await t.dataSource.query<Array<{ used: number | string }>>(
      'SELECT used FROM token_quota_usage WHERE token_id = ?',
      [token.id],
    );
    assert.equal(Number(again[0].used), 4);
  });
});
