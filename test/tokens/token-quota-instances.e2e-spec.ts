import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it, TestContext } from 'node:test';
import Redis from 'ioredis';
import {
  ApiResponse,
  AppProcess,
  callApi,
  freePort,
  seedToken,
  SeededToken,
  startAppProcess,
} from '../support/app-process';
import { freshDatabase, TestDatabase } from '../support/databases';
import { redisUnavailableReason, TEST_REDIS_URL } from '../support/redis';

const REDIS_URL = TEST_REDIS_URL;

async function waitFor(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) {
      return true;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

/** A token with `quota`, minted by the seeded user (who may), returned as a bearer. */
async function quotaToken(
  app: AppProcess,
  seed: SeededToken,
  quota: { limit: number; period: 'day' | 'month' },
): Promise<{ id: string; bearer: string }> {
  const res = await callApi(app.baseUrl, 'POST', '/api/v1/tokens', {
    auth: seed.userBasic,
    workspaceId: seed.workspaceId,
    body: { name: 'quota', scopes: ['read'], expires_in_days: 7, quota },
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return { id: res.body.id as string, bearer: `Bearer ${res.body.token as string}` };
}

const list = (app: AppProcess, seed: SeededToken, bearer: string): Promise<ApiResponse> =>
  callApi(app.baseUrl, 'GET', '/api/v1/projects', { auth: bearer, workspaceId: seed.workspaceId });

async function quotaUsed(app: AppProcess, seed: SeededToken, id: string): Promise<number> {
  const res = await callApi(app.baseUrl, 'GET', `/api/v1/tokens/${id}`, {
    auth: seed.userBasic,
    workspaceId: seed.workspaceId,
  });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.quota_used as number;
}

function statuses(results: ApiResponse[]): number[] {
  return results.map((r) => r.status);
}

describe('quotas across restarts and instances (SPEC §11.1)', { timeout: 240_000 }, () => {
  let db: TestDatabase;
  const running: AppProcess[] = [];
  const start = async (env: Record<string, string> = {}): Promise<AppProcess> => {
    // A long flush interval: only the shutdown flush can have written the counts.
    const app = await startAppProcess({ ...db.env, QUOTA_FLUSH_MS: '600000', ...env });
    running.push(app);
    return app;
  };
  const stop = async (app: AppProcess): Promise<void> => {
    app.signal('SIGTERM');
    const status = await app.waitForExit(30_000);
    assert.equal(status.code, 0, app.output());
  };

  before(async () => {
    db = await freshDatabase();
  });
  after(async () => {
    await Promise.all(running.map((a) => a.stop()));
    await db?.drop();
  });

  it('without Redis: a restart neither forgets nor double-counts (flushed on SIGTERM)', async () => {
    const first = await start();
    const seed = await seedToken(first);
    const token = await quotaToken(first, seed, { limit: 7, period: 'day' });
    for (let i = 0; i < 4; i++) {
      assert.equal((await list(first, seed, token.bearer)).status, 200);
    }
    await stop(first);
    const persisted = await db.query<{ used: number | string }>(
      'SELECT used FROM token_quota_usage WHERE token_id = ?',
      [token.id],
    );
    assert.equal(Number(persisted[0]?.used), 4, 'the shutdown flush wrote the count');

    const second = await start();
    assert.equal(await quotaUsed(second, seed, token.id), 4);
    const results = await Promise.all(
      Array.from({ length: 6 }, () => list(second, seed, token.bearer)),
    );
    assert.deepEqual(
      statuses(results).sort(),
      [200, 200, 200, 429, 429, 429],
      'exactly 3 left after the restart',
    );
    await stop(second);
    const after = await db.query<{ used: number | string }>(
      'SELECT used FROM token_quota_usage WHERE token_id = ?',
      [token.id],
    );
    assert.equal(Number(after[0]?.used), 7, 'nothing counted twice');
  });

  it('with Redis: exact across two instances under parallel requests, and across restarts', async (t: TestContext) => {
    if ((await redisUnavailableReason()) !== null) {
      t.skip(`no Redis at ${REDIS_URL}`);
      return;
    }
    const a = await start({ REDIS_URL });
    const b = await start({ REDIS_URL });
    const seed = await seedToken(a);
    const token = await quotaToken(a, seed, { limit: 10, period: 'month' });
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => list(i % 2 === 0 ? a : b, seed, token.bearer)),
    );
    const codes = statuses(results);
    assert.equal(codes.filter((s) => s === 200).length, 10, codes.join(','));
    assert.equal(codes.filter((s) => s === 429).length, 20);
    for (const r of results.filter((x) => x.status === 429)) {
      assert.equal(r.body.code, 'quota_exceeded');
    }
    assert.equal(await quotaUsed(b, seed, token.id), 10);

    // Both stop (each writes what it counted), one comes back: Redis still has the count.
    await stop(a);
    await stop(b);
    const persisted = await db.query<{ used: number | string }>(
      'SELECT used FROM token_quota_usage WHERE token_id = ?',
      [token.id],
    );
    assert.equal(Number(persisted[0]?.used), 10, 'the two instances wrote 10 between them');
    const c = await start({ REDIS_URL });
    assert.equal(await quotaUsed(c, seed, token.id), 10);
    assert.equal((await list(c, seed, token.bearer)).status, 429);

    // Redis loses the count (a flush, a failover): it starts again from the persisted one.
    const wider = await callApi(c.baseUrl, 'PATCH', `/api/v1/tokens/${token.id}`, {
      auth: seed.userBasic,
      workspaceId: seed.workspaceId,
      body: { quota: { limit: 12, period: 'month' } },
    });
    assert.equal(wider.status, 200, JSON.stringify(wider.body));
    const redis = new Redis(REDIS_URL);
    try {
      const keys = await redis.keys(`*quota:${token.id}:*`);
      assert.equal(keys.length, 1, 'one count per token and period');
      await redis.del(keys[0]);
    } finally {
      redis.disconnect();
    }
    const next = await list(c, seed, token.bearer);
    assert.equal(next.status, 200);
    assert.equal(next.headers.get('x-quota-remaining'), '1');
    assert.equal(await quotaUsed(c, seed, token.id), 11);
  });

  it('with Redis gone: the instance still holds the quota, counting on its own, and says so', async (t: TestContext) => {
    // A Redis of this test's own, so that it can be stopped under a running instance.
    const port = await freePort();
    const server = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.once('error', () => undefined);
    try {
      const url = `redis://127.0.0.1:${port}`;
      const ready = await waitFor(async () => (await redisUnavailableReason(url)) === null, 10_000);
      if (!ready) {
        t.skip('redis-server could not be started here');
        return;
      }
      const app = await start({ REDIS_URL: url, METRICS_ENABLED: 'true' });
      const seed = await seedToken(app);
      const token = await quotaToken(app, seed, { limit: 4, period: 'day' });
      assert.equal((await list(app, seed, token.bearer)).status, 200);
      server.kill('SIGKILL');
      await exited;
      const codes: number[] = [];
      for (let i = 0; i < 5; i++) {
        codes.push((await list(app, seed, token.bearer)).status);
      }
      assert.deepEqual(codes, [200, 200, 200, 429, 429]);
      assert.match(app.output(), /quotas are counted by this instance/);
      // ...and in the metrics: three requests counted here alone (the refused ones are not).
      const scrape = await (await fetch(`${app.baseUrl}/metrics`)).text();
      assert.match(scrape, /^tessera_quota_counted_locally_total 3$/m);
      await stop(app);
      const persisted = await db.query<{ used: number | string }>(
        'SELECT used FROM token_quota_usage WHERE token_id = ?',
        [token.id],
      );
      assert.equal(Number(persisted[0]?.used), 4, 'every request counted is written');
    } finally {
      server.kill('SIGKILL');
    }
  });
});
