import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import {
  assertError,
  createToken,
  createUser,
  createWorkspace,
  expireToken,
  TestToken,
  TestUser,
  TestWorkspace,
} from '../support/factories';
import { fromAddress, sleep } from '../support/net';
import { startTestApp, TestApp } from '../support/test-app';
import { RequestLogRecorder } from '../../src/tokens/request-log/request-log.recorder';
import { RequestLogRetentionJob } from '../../src/tokens/request-log/request-log-retention.job';
import { RequestLogStore } from '../../src/tokens/request-log/request-log.store';
import { LoggedRequest } from '../../src/tokens/request-log/request-log.buffer';

// SPEC §11.2: every request a token makes is logged (refused ones included), per-day usage,
// last_used_ips, and the retention job.

const DAY_MS = 86_400_000;
const agents = new Map<string, Agent>();
function from(ip: string): Agent {
  let agent = agents.get(ip);
  if (!agent) {
    agent = fromAddress(ip);
    agents.set(ip, agent);
  }
  return agent;
}

interface LogItem {
  at: string;
  method: string;
  path: string;
  status: number;
  ip: string;
  user_agent: string | null;
  duration_ms: number;
}

describe('Per-token request log (SPEC §11.2)', { timeout: 120_000 }, () => {
  let t: TestApp;
  let owner: TestUser;
  let stranger: TestUser;
  let ws: TestWorkspace;

  before(async () => {
    t = await startTestApp();
    owner = await createUser(t);
    stranger = await createUser(t);
    ws = await createWorkspace(t, owner, { plan: 'enterprise' });
  });
  after(() => t.close());

  const call = (
    method: 'get' | 'post' | 'patch',
    path: string,
    auth: string,
    options: { ip?: string; body?: object; agent?: string } = {},
  ): Promise<request.Response> => {
    let req = t.http()[method](path).set('Authorization', auth).set('X-Workspace-Id', ws.id);
    if (options.ip) {
      req = req.agent(from(options.ip));
    }
    if (options.agent) {
      req = req.set('User-Agent', options.agent);
    }
    return options.body ? req.send(options.body) : req;
  };

  const log = async (token: TestToken, query = ''): Promise<request.Response> =>
    call('get', `/api/v1/tokens/${token.id}/requests${query}`, owner.basic);

  const flush = (): Promise<void> => t.app.get(RequestLogRecorder).flush();

  it('logs accepted and refused requests, without the query string, visible within 5 s, newest first', async () => {
    const token = await createToken(t, owner, ws, { scopes: ['read'] });
    const ok = await call('get', '/api/v1/projects?limit=5&offset=0', token.bearer, {
      agent: 'reqlog-test/1.0',
    });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    const refused = await call('post', '/api/v1/projects', token.bearer, {
      body: { name: 'nope', identifier: 'nope' },
    });
    assertError(refused, 403, 'insufficient_scope');
    const missing = await call('get', `/api/v1/tokens/${token.id}/nothing-here`, token.bearer);
    assert.equal(missing.status, 404);

    // No explicit flush: the writer's own timer (1 s) must make them visible within 5 s.
    const started = Date.now();
    let body: { data: LogItem[]; total_count: number; offset: number; limit: number } | undefined;
    while (Date.now() - started < 5000) {
      const res = await log(token);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      body = res.body as typeof body;
      if (body && body.total_count >= 2) {
        break;
      }
      await sleep(200);
    }
    assert.ok(body && body.total_count === 2, `visible within 5 s: ${JSON.stringify(body)}`);
    // The unmatched route (404 before any guard) never identified the token: not logged.
    const [newest, oldest] = body.data;
    assert.equal(newest.method, 'POST');
    assert.equal(newest.path, '/api/v1/projects');
    assert.equal(newest.status, 403);
    assert.equal(oldest.method, 'GET');
    assert.equal(oldest.path, '/api/v1/projects');
    assert.equal(oldest.status, 200);
    assert.equal(oldest.user_agent, 'reqlog-test/1.0');
    assert.equal(oldest.ip, '127.0.0.1');
    assert.ok(Number.isInteger(oldest.duration_ms) && oldest.duration_ms >= 0);
    assert.ok(Date.parse(newest.at) >= Date.parse(oldest.at));
    assert.equal(body.offset, 0);
    assert.equal(body.limit, 25);
    assert.ok(!JSON.stringify(body).includes('limit=5'));

    // The log's own reads are requests of the owner's password: not in the token's log. Paging:
    const second = await log(token, '?offset=1&limit=1');
    assert.equal(second.status, 200);
    assert.equal(second.body.total_count, 2);
    assert.equal(second.body.data.length, 1);
    assert.equal(second.body.data[0].method, 'GET');
    // Past the end: no rows, and still the total (counted on its own then).
    const past = await log(token, '?offset=5');
    assert.equal(past.status, 200);
    assert.deepEqual(past.body.data, []);
    assert.equal(past.body.total_count, 2);
  });

  it('keeps no secret pasted into the path', async () => {
    const token = await createToken(t, owner, ws, { scopes: ['read'] });
    const pasted = await call('get', `/api/v1/projects/${token.token}`, token.bearer);
    assert.ok([400, 404].includes(pasted.status), JSON.stringify(pasted.body));
    await flush();
    const res = await log(token);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.total_count, 1, JSON.stringify(res.body));
    assert.equal(res.body.data[0].path, '/api/v1/projects/[REDACTED]');
    assert.ok(!JSON.stringify(res.body).includes(token.token.slice(3, 20)));
  });

  it('logs a refusal of a recognised token: 403 ip_not_allowed from another address', async () => {
    const token = await createToken(t, owner, ws, { scopes: ['read'] });
    const patched = await call('patch', `/api/v1/tokens/${token.id}`, owner.basic, {
      body: { allowed_cidrs: ['127.0.0.1'] },
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assertError(
      await call('get', '/api/v1/projects', token.bearer, { ip: '127.0.0.2' }),
      403,
      'ip_not_allowed',
    );
    await flush();
    const res = await log(token);
    assert.equal(res.body.total_count, 1);
    assert.equal(res.body.data[0].status, 403);
    assert.equal(res.body.data[0].ip, '127.0.0.2');
    // Counted in the day's usage, but the address never used the token: not one of its
    // last_used_ips, as it is not its last_used_ip (the allowed address is, once it is used).
    assert.equal((await call('get', '/api/v1/projects', token.bearer)).status, 200);
    await flush();
    const shown = await call('get', `/api/v1/tokens/${token.id}`, owner.basic);
    assert.deepEqual(
      (shown.body.last_used_ips as Array<{ ip: string }>).map((a) => a.ip),
      ['127.0.0.1'],
    );
    const usage = await call('get', `/api/v1/tokens/${token.id}/usage?days=1`, owner.basic);
    assert.deepEqual(
      usage.body.data.map((d: { requests: number; errors: number }) => [d.requests, d.errors]),
      [[2, 1]],
    );
  });

  it('logs the 401s of a recognised token: revoked, expired, owner locked; not of unknown ones', async () => {
    const revoked = await createToken(t, owner, ws, { scopes: ['read'] });
    const gone = await t
      .http()
      .delete(`/api/v1/tokens/${revoked.id}`)
      .set('Authorization', owner.basic)
      .set('X-Workspace-Id', ws.id);
    assert.equal(gone.status, 204, JSON.stringify(gone.body));
    assertError(await call('get', '/api/v1/projects', revoked.bearer), 401, 'token_revoked');

    const expired = await createToken(t, owner, ws, { scopes: ['read'] });
    await expireToken(t, expired.id);
    assertError(
      await call('get', '/api/v1/projects', expired.bearer, { agent: 'old-script/2' }),
      401,
      'token_expired',
    );

    const lockedOwner = await createUser(t);
    const lockedWs = await createWorkspace(t, lockedOwner, { plan: 'enterprise' });
    const lockedToken = await createToken(t, lockedOwner, lockedWs, { scopes: ['read'] });
    const lock = await t
      .http()
      .patch(`/api/v1/admin/users/${lockedOwner.id}`)
      .set('Authorization', t.adminBasic)
      .send({ status: 'locked' });
    assert.equal(lock.status, 200, JSON.stringify(lock.body));
    const refused = await t
      .http()
      .get('/api/v1/projects')
      .set('Authorization', lockedToken.bearer)
      .set('X-Workspace-Id', lockedWs.id);
    assert.equal(refused.status, 401, JSON.stringify(refused.body));

    // A token nobody issued is refused as well, but it is nobody's: nothing to log it under.
    const unknown = `${revoked.token.slice(0, -8)}AAAAAAAA`;
    assert.equal((await call('get', '/api/v1/projects', `Bearer ${unknown}`)).status, 401);

    await flush();
    const revokedLog = await log(revoked);
    assert.equal(revokedLog.status, 200, JSON.stringify(revokedLog.body));
    assert.deepEqual(
      (revokedLog.body.data as LogItem[]).map((x) => [x.method, x.path, x.status]),
      [['GET', '/api/v1/projects', 401]],
    );
    const expiredLog = await log(expired);
    assert.equal(expiredLog.body.total_count, 1, JSON.stringify(expiredLog.body));
    assert.equal(expiredLog.body.data[0].status, 401);
    assert.equal(expiredLog.body.data[0].user_agent, 'old-script/2');
    // Nobody but the locked owner may read that log over the API: read the store.
    const [lockedRows, lockedCount] = await t.app
      .get(RequestLogStore)
      .page(lockedToken.id, { offset: 0, limit: 10 });
    assert.equal(lockedCount, 1);
    assert.equal(lockedRows[0].status, 401);
  });

  it('logs a 429 of the token’s own rate limit', async () => {
    const token = await createToken(t, owner, ws, { scopes: ['read'] });
    const patched = await call('patch', `/api/v1/tokens/${token.id}`, owner.basic, {
      body: { rate_limit: 2 },
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      statuses.push((await call('get', '/api/v1/projects', token.bearer)).status);
    }
    assert.deepEqual(statuses, [200, 200, 429]);
    await flush();
    const res = await log(token);
    assert.deepEqual(
      (res.body.data as LogItem[]).map((x) => x.status),
      [429, 200, 200],
    );
  });

  it('counts requests and errors per UTC day, zero-filled, oldest first', async () => {
    const token = await createToken(t, owner, ws, { scopes: ['read'] });
    for (let i = 0; i < 3; i++) {
      assert.equal((await call('get', '/api/v1/projects', token.bearer)).status, 200);
    }
    await call('post', '/api/v1/projects', token.bearer, { body: { name: 'x', identifier: 'x' } });
    await call('get', '/api/v1/tokens/not-a-uuid', token.bearer);
    // Two days ago, from an earlier batch (or another instance).
    const twoDaysAgo = new Date(Date.now() - 2 * DAY_MS).toISOString().slice(0, 10);
    await t.app
      .get(RequestLogStore)
      .addUsage([{ tokenId: token.id, day: twoDaysAgo, requests: 7, errors: 2 }]);
    await flush();
    const res = await call('get', `/api/v1/tokens/${token.id}/usage?days=3`, owner.basic);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const today = new Date().toISOString().slice(0, 10);
    const yesterday = new Date(Date.now() - DAY_MS).toISOString().slice(0, 10);
    assert.deepEqual(res.body, {
      data: [
        { date: twoDaysAgo, requests: 7, errors: 2 },
        { date: yesterday, requests: 0, errors: 0 },
        { date: today, requests: 5, errors: 2 },
      ],
    });
    const month = await call('get', `/api/v1/tokens/${token.id}/usage`, owner.basic);
    assert.equal(month.body.data.length, 30);
    for (const bad of ['0', '366', 'abc', '1.5']) {
      assertError(
        await call('get', `/api/v1/tokens/${token.id}/usage?days=${bad}`, owner.basic),
        400,
        'validation_failed',
      );
    }
    assertError(
      await call('get', `/api/v1/tokens/${token.id}/usage?days=3&extra=1`, owner.basic),
      400,
      'validation_failed',
    );
  });

  it('keeps the 5 newest of 6 addresses, within one batch and across batches', async () => {
    const ips = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6', '127.0.0.7'];
    const oneBatch = await createToken(t, owner, ws, { scopes: ['read'] });
    const manyBatches = await createToken(t, owner, ws, { scopes: ['read'] });
    await flush();
    for (const ip of ips) {
      assert.equal((await call('get', '/api/v1/projects', oneBatch.bearer, { ip })).status, 200);
    }
    for (const ip of ips) {
      assert.equal((await call('get', '/api/v1/projects', manyBatches.bearer, { ip })).status, 200);
      await flush();
    }
    await flush();
    const newestFirst = [...ips].reverse().slice(0, 5);
    for (const token of [oneBatch, manyBatches]) {
      const res = await call('get', `/api/v1/tokens/${token.id}`, owner.basic);
      assert.equal(res.status, 200);
      const got = res.body.last_used_ips as Array<{ ip: string; last_used_at: string }>;
      assert.deepEqual(
        got.map((a) => a.ip),
        newestFirst,
        JSON.stringify(got),
      );
      assert.ok(got.every((a) => !Number.isNaN(Date.parse(a.last_used_at))));
      assert.equal(res.body.last_used_ip !== undefined, true);
    }
    // Lists carry them too (one query for the page).
    const list = await call('get', '/api/v1/tokens', owner.basic);
    const listed = (list.body.data as Array<{ id: string; last_used_ips: unknown[] }>).find(
      (x) => x.id === oneBatch.id,
    );
    assert.equal(listed?.last_used_ips.length, 5);
    // Used again from an older address: it becomes the newest.
    await call('get', '/api/v1/projects', oneBatch.bearer, { ip: '127.0.0.2' });
    await flush();
    const again = await call('get', `/api/v1/tokens/${oneBatch.id}`, owner.basic);
    assert.deepEqual(
      (again.body.last_used_ips as Array<{ ip: string }>).map((a) => a.ip),
      ['127.0.0.2', '127.0.0.7', '127.0.0.6', '127.0.0.5', '127.0.0.4'],
    );
    // The flush only upserts; the retention job trims each token's rows to the newest five.
    const stored = async (id: string): Promise<string[]> =>
      (
        await t.dataSource.query<Array<{ ip: string }>>(
          'SELECT ip FROM token_ips WHERE token_id = ? ORDER BY ip',
          [id],
        )
      ).map((r) => r.ip);
    assert.equal((await stored(manyBatches.id)).length, 6);
    await t.app.get(RequestLogRetentionJob).run(new Date());
    assert.deepEqual(await stored(manyBatches.id), ips.slice(1));
    assert.deepEqual(await stored(oneBatch.id), ['127.0.0.2', ...ips.slice(2)]);
  });

  it('shows a token’s log and usage only to those who may see the token (else 404)', async () => {
    const token = await createToken(t, owner, ws, { scopes: ['read'] });
    for (const path of ['requests', 'usage']) {
      const res = await t
        .http()
        .get(`/api/v1/tokens/${token.id}/${path}`)
        .set('Authorization', stranger.basic)
        .set('X-Workspace-Id', ws.id);
      assert.ok([403, 404].includes(res.status), `${res.status}`);
      const own = await createWorkspace(t, stranger);
      const elsewhere = await t
        .http()
        .get(`/api/v1/tokens/${token.id}/${path}`)
        .set('Authorization', stranger.basic)
        .set('X-Workspace-Id', own.id);
      assertError(elsewhere, 404, 'not_found');
    }
  });

  it('retention: deletes entries past TOKEN_REQUEST_LOG_DAYS and beyond the per-token cap', async () => {
    const store = t.app.get(RequestLogStore);
    const job = t.app.get(RequestLogRetentionJob);
    const cap = t.config.requestLog.maxPerToken;
    const now = Date.now();
    const entry = (tokenId: string, at: number, path: string): LoggedRequest => ({
      tokenId,
      at,
      method: 'GET',
      path,
      status: 200,
      ip: '127.0.0.1',
      userAgent: null,
      durationMs: 1,
    });
    const aged = await createToken(t, owner, ws, { scopes: ['read'] });
    await store.insertRequests([
      entry(aged.id, now - 40 * DAY_MS, '/old'),
      entry(aged.id, now - 31 * DAY_MS, '/old'),
      entry(aged.id, now - 29 * DAY_MS, '/kept'),
      entry(aged.id, now - 1000, '/kept'),
    ]);
    const removed = await job.run(new Date(now));
    assert.ok(removed >= 2);
    const left = await log(aged);
    assert.deepEqual(
      (left.body.data as LogItem[]).map((x) => x.path),
      ['/kept', '/kept'],
    );
    assert.equal(cap, 10_000);
  });
});

describe(
  'Request log retention by count (small TOKEN_REQUEST_LOG_MAX_PER_TOKEN)',
  { timeout: 60_000 },
  () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp({
        env: { TOKEN_REQUEST_LOG_MAX_PER_TOKEN: '3', TOKEN_REQUEST_LOG_DAYS: '2' },
      });
    });
    after(() => t.close());

    it('keeps the newest N per token, and daily counts are unaffected by the log’s retention', async () => {
      const owner = await createUser(t);
      const ws = await createWorkspace(t, owner, { plan: 'enterprise' });
      const busy = await createToken(t, owner, ws, { scopes: ['read'] });
      const quiet = await createToken(t, owner, ws, { scopes: ['read'] });
      const get = (token: TestToken, _n: number) =>
        t
          .http()
          .get('/api/v1/projects')
          .set('Authorization', token.bearer)
          .set('X-Workspace-Id', ws.id);
      for (let i = 0; i < 7; i++) {
        assert.equal((await get(busy, i)).status, 200);
      }
      for (let i = 0; i < 2; i++) {
        assert.equal((await get(quiet, i)).status, 200);
      }
      await t.app.get(RequestLogRecorder).flush();
      const oldDay = new Date(Date.now() - 3 * DAY_MS).toISOString().slice(0, 10);
      await t.app.get(RequestLogStore).insertRequests([
        {
          tokenId: quiet.id,
          at: Date.now() - 3 * DAY_MS,
          method: 'GET',
          path: '/old',
          status: 200,
          ip: '127.0.0.1',
          userAgent: null,
          durationMs: 1,
        },
      ]);
      await t.app.get(RequestLogRetentionJob).run(new Date());
      const count = async (token: TestToken) =>
        (
          await t
            .http()
            .get(`/api/v1/tokens/${token.id}/requests`)
            .set('Authorization', owner.basic)
            .set('X-Workspace-Id', ws.id)
        ).body as { total_count: number; data: LogItem[] };
      const busyLog = await count(busy);
      assert.equal(busyLog.total_count, 3);
      assert.deepEqual(
        busyLog.data.map((x) => x.path),
        ['/api/v1/projects', '/api/v1/projects', '/api/v1/projects'],
      );
      assert.equal((await count(quiet)).total_count, 2);
      const usage = await t
        .http()
        .get(`/api/v1/tokens/${busy.id}/usage?days=1`)
        .set('Authorization', owner.basic)
        .set('X-Workspace-Id', ws.id);
      assert.equal(usage.body.data[0].requests, 7);
      assert.ok(oldDay < usage.body.data[0].date);
    });
  },
);

describe('Request log usage with two instances on one database', { timeout: 60_000 }, () => {
  let a: TestApp;
  let b: TestApp;
  before(async () => {
    a = await startTestApp({ env: { TOKEN_REQUEST_LOG_FLUSH_MS: '100' } });
    const shared: Record<string, string> =
      a.config.database.type === 'mysql'
        ? { DATABASE_URL: a.config.database.url }
        : { DATA_DIR: a.config.dataDir };
    b = await startTestApp({ env: { ...shared, TOKEN_REQUEST_LOG_FLUSH_MS: '100' } });
  });
  after(async () => {
    await b.close();
    await a.close();
  });

  it('adds both instances’ counts exactly (upserts, never read-modify-write)', async () => {
    const owner = await createUser(a);
    const ws = await createWorkspace(a, owner);
    const token = await createToken(a, owner, ws, { scopes: ['read'] });
    const hit = (app: TestApp) =>
      app
        .http()
        .get('/api/v1/projects')
        .set('Authorization', token.bearer)
        .set('X-Workspace-Id', ws.id);
    const rounds = 10;
    for (let round = 0; round < rounds; round++) {
      await Promise.all([
        ...Array.from({ length: 6 }, () => hit(a)),
        ...Array.from({ length: 4 }, () => hit(b)),
      ]);
    }
    await Promise.all([
      a.app.get(RequestLogRecorder).flush(),
      b.app.get(RequestLogRecorder).flush(),
    ]);
    const usage = await a
      .http()
      .get(`/api/v1/tokens/${token.id}/usage?days=1`)
      .set('Authorization', owner.basic)
      .set('X-Workspace-Id', ws.id);
    assert.equal(usage.status, 200);
    assert.deepEqual(usage.body.data[0], {
      date: new Date().toISOString().slice(0, 10),
      requests: rounds * 10,
      errors: 0,
    });
    const logged = await b
      .http()
      .get(`/api/v1/tokens/${token.id}/requests?limit=1`)
      .set('Authorization', owner.basic)
      .set('X-Workspace-Id', ws.id);
    assert.equal(logged.body.total_count, rounds * 10);
  });
});
