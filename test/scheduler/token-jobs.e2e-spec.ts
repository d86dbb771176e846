import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiToken } from '../../src/tokens/entities/api-token.entity';
import { AppProcess, callApi, seedToken, startAppProcess } from '../support/app-process';
import { freshDatabase, TestDatabase } from '../support/databases';
import {
  createToken,
  createUser,
  createWorkspace,
  TestUser,
  TestWorkspace,
} from '../support/factories';
import { sleep } from '../support/net';
import { startTestApp, TestApp } from '../support/test-app';

// SPEC §11.4: the scheduler's token jobs. Apps run them every second here; dates are moved
// around the application, in the database, to put tokens at each notice point.

const DAY_MS = 86_400_000;

interface EventRow {
  type: string;
  data: string;
}

describe('Scheduled token jobs (SPEC §11.4)', { timeout: 120_000 }, () => {
  let t: TestApp;
  let owner: TestUser;
  let ws: TestWorkspace;

  const eventsFor = async (
    tokenId: string,
  ): Promise<Array<{ type: string; days_left?: number }>> => {
    const rows: EventRow[] = await t.dataSource.query(
      'SELECT type, data FROM lifecycle_events ORDER BY created_at, id',
    );
    return rows
      .map((r) => ({ type: r.type, data: JSON.parse(r.data) as Record<string, unknown> }))
      .filter((e) => (e.data.token as { id: string }).id === tokenId)
      .map((e) => ({
        type: e.type,
        ...(e.data.days_left !== undefined ? { days_left: e.data.days_left as number } : {}),
      }));
  };

  /** Puts a token's creation and expiry where a test needs them (relative to now). */
  const place = async (
    tokenId: string,
    createdAgoMs: number,
    expiresInMs: number,
  ): Promise<void> => {
    const now = Date.now();
    await t.dataSource
      .getRepository(ApiToken)
      .update(
        { id: tokenId },
        { createdAt: new Date(now - createdAgoMs), expiresAt: new Date(now + expiresInMs) },
      );
  };

  /** Waits until the scheduler has run at least `runs` more rounds of `job`. */
  const rounds = async (job: string, runs: number): Promise<void> => {
    const lastRun = async (): Promise<number> => {
      const rows: Array<{ last_run_at: Date | string | null }> = await t.dataSource.query(
        'SELECT last_run_at FROM scheduler_leases WHERE job = ?',
        [job],
      );
      return rows[0]?.last_run_at ? new Date(rows[0].last_run_at).getTime() : 0;
    };
    for (let seen = 0, last = await lastRun(), i = 0; seen < runs && i < 200; i += 1) {
      await sleep(100);
      const now = await lastRun();
      if (now !== last) {
        seen += 1;
        last = now;
      }
    }
  };

  before(async () => {
    t = await startTestApp({ env: { SCHEDULER_INTERVAL_SECONDS: '1' } });
    owner = await createUser(t);
    ws = await createWorkspace(t, owner, { plan: 'enterprise' });
  });
  after(() => t.close());

  it('sends token.expiring 7 days and 1 day before expiry and token.expired at it, each once', async () => {
    const token = await createToken(t, owner, ws);
    await place(token.id, 30 * DAY_MS, 6 * DAY_MS);
    await rounds('token-expiry', 2);
    assert.deepEqual(await eventsFor(token.id), [
      { type: 'token.created' },
      { type: 'token.expiring', days_left: 7 },
    ]);
    await place(token.id, 30 * DAY_MS, 20 * 3600_000);
    await rounds('token-expiry', 2);
    await place(token.id, 30 * DAY_MS, -60_000);
    await rounds('token-expiry', 3);
    assert.deepEqual(await eventsFor(token.id), [
      { type: 'token.created' },
      { type: 'token.expiring', days_left: 7 },
      { type: 'token.expiring', days_left: 1 },
      { type: 'token.expired' },
    ]);
  });

  it('skips the notices whose point passed before the token was created', async () => {
    // Created 2 days before an expiry now 20 hours away: the 7-day point was before it existed.
    const late = await createToken(t, owner, ws);
    await place(late.id, 2 * DAY_MS, 20 * 3600_000);
    // Created 3 hours before an expiry 2 hours away: both points passed before it existed.
    const later = await createToken(t, owner, ws);
    await place(later.id, 3 * 3600_000, 2 * 3600_000);
    await rounds('token-expiry', 2);
    assert.deepEqual(await eventsFor(late.id), [
      { type: 'token.created' },
      { type: 'token.expiring', days_left: 1 },
    ]);
    assert.deepEqual(await eventsFor(later.id), [{ type: 'token.created' }]);
  });

  it('announces nothing for revoked tokens', async () => {
    const token = await createToken(t, owner, ws);
    const res = await t
      .http()
      .delete(`/api/v1/tokens/${token.id}`)
      .set('Authorization', owner.basic)
      .set('X-Workspace-Id', ws.id);
    assert.equal(res.status, 204);
    await place(token.id, 30 * DAY_MS, -60_000);
    await rounds('token-expiry', 2);
    assert.deepEqual(
      (await eventsFor(token.id)).map((e) => e.type),
      ['token.created', 'token.revoked'],
    );
  });

  it('revokes tokens idle for the workspace’s idle_revoke_days (reason idle), audited and announced', async () => {
    const idleWs = await createWorkspace(t, owner, { plan: 'enterprise' });
    const policy = await t
      .http()
      .patch(`/api/v1/workspaces/${idleWs.id}/token-policy`)
      .set('Authorization', owner.basic)
      .send({ idle_revoke_days: 7 });
    assert.equal(policy.status, 200, JSON.stringify(policy.body));
    const neverUsed = await createToken(t, owner, idleWs);
    const usedLately = await createToken(t, owner, idleWs);
    const usedLongAgo = await createToken(t, owner, idleWs);
    const young = await createToken(t, owner, idleWs);
    const repo = t.dataSource.getRepository(ApiToken);
    const now = Date.now();
    await repo.update({ id: neverUsed.id }, { createdAt: new Date(now - 10 * DAY_MS) });
    await repo.update(
      { id: usedLately.id },
      { createdAt: new Date(now - 30 * DAY_MS), lastUsedAt: new Date(now - DAY_MS) },
    );
    await repo.update(
      { id: usedLongAgo.id },
      { createdAt: new Date(now - 30 * DAY_MS), lastUsedAt: new Date(now - 8 * DAY_MS) },
    );
    // An identical token in a workspace without the policy stays.
    const elsewhere = await createToken(t, owner, ws);
    await repo.update({ id: elsewhere.id }, { createdAt: new Date(now - 300 * DAY_MS) });
    await rounds('idle-revocation', 2);

    const state = async (id: string, workspace: TestWorkspace) =>
      (
        await t
          .http()
          .get(`/api/v1/tokens/${id}`)
          .set('Authorization', owner.basic)
          .set('X-Workspace-Id', workspace.id)
      ).body as { state: string; revoked_reason: string | null };
    const revoked = await state(neverUsed.id, idleWs);
    assert.equal(revoked.state, 'revoked');
    assert.equal(revoked.revoked_reason, 'idle');
    assert.equal((await state(usedLongAgo.id, idleWs)).revoked_reason, 'idle');
    assert.equal((await state(usedLately.id, idleWs)).state, 'active');
    assert.equal((await state(young.id, idleWs)).state, 'active');
    assert.equal((await state(elsewhere.id, ws)).state, 'active');
    const refused = await t
      .http()
      .get('/api/v1/projects')
      .set('Authorization', neverUsed.bearer)
      .set('X-Workspace-Id', idleWs.id);
    assert.equal(refused.status, 401);
    assert.equal(refused.body.code, 'token_revoked');
    assert.deepEqual(
      (await eventsFor(neverUsed.id)).map((e) => e.type),
      ['token.created', 'token.revoked'],
    );
    const audited: Array<{ n: number | string }> = await t.dataSource.query(
      "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'token.revoked' AND target_id = ? AND actor_id IS NULL",
      [neverUsed.id],
    );
    assert.equal(Number(audited[0].n), 1);
  });

  it('shows expires_soon on tokens expiring within 7 days', async () => {
    const soon = await createToken(t, owner, ws, { days: 5 });
    const later = await createToken(t, owner, ws, { days: 30 });
    const get = async (id: string) =>
      (
        await t
          .http()
          .get(`/api/v1/tokens/${id}`)
          .set('Authorization', owner.basic)
          .set('X-Workspace-Id', ws.id)
      ).body as { expires_soon: boolean };
    assert.equal((await get(soon.id)).expires_soon, true);
    assert.equal((await get(later.id)).expires_soon, false);
  });
});

describe('Scheduled jobs on two instances (SPEC §11.4)', { timeout: 180_000 }, () => {
  let db: TestDatabase | undefined;
  let a: AppProcess | undefined;
  let b: AppProcess | undefined;

  before(async () => {
    db = await freshDatabase();
    const env = { ...db.env, SCHEDULER_INTERVAL_SECONDS: '1' };
    a = await startAppProcess(env);
    b = await startAppProcess(env);
  });
  after(async () => {
    try {
      await Promise.all([a?.stop(), b?.stop()]);
    } finally {
      await db?.drop();
    }
  });

  it('records each token’s notice exactly once while both instances run the scheduler', async () => {
    assert.ok(a && b && db);
    const seeded = await seedToken(a);
    const ids: string[] = [seeded.tokenId];
    for (let i = 0; i < 24; i += 1) {
      const res = await callApi(a.baseUrl, 'POST', '/api/v1/tokens', {
        auth: seeded.userBasic,
        workspaceId: seeded.workspaceId,
        body: { name: `t${i}`, scopes: ['read'], expires_in_days: 30 },
      });
      if (res.status === 409) {
        break; // the plan's limit
      }
      assert.equal(res.status, 201, JSON.stringify(res.body));
      ids.push(res.body.id as string);
    }
    // Every token at its 7-day point at once: both instances race for the work.
    const placeholders = ids.map(() => '?').join(', ');
    const now = Date.now();
    const iso = (ms: number) => new Date(ms).toISOString().slice(0, 23).replace('T', ' ');
    await db.query(
      `UPDATE api_tokens SET created_at = ?, expires_at = ? WHERE id IN (${placeholders})`,
      [iso(now - 30 * DAY_MS), iso(now + 6 * DAY_MS), ...ids],
    );
    const count = async (): Promise<Map<string, number>> => {
      const rows = await db!.query<EventRow>(
        "SELECT type, data FROM lifecycle_events WHERE type = 'token.expiring'",
      );
      const byToken = new Map<string, number>();
      for (const row of rows) {
        const id = (JSON.parse(row.data) as { token: { id: string } }).token.id;
        byToken.set(id, (byToken.get(id) ?? 0) + 1);
      }
      return byToken;
    };
    for (let i = 0; i < 100 && (await count()).size < ids.length; i += 1) {
      await sleep(100);
    }
    await sleep(3000); // more rounds on both instances: nothing more may come
    const counted = await count();
    assert.equal(counted.size, ids.length, 'every token got its notice');
    for (const id of ids) {
      assert.equal(counted.get(id), 1, `token ${id}: ${counted.get(id)} notices`);
    }
    const leases = await db.query<{ job: string }>('SELECT job FROM scheduler_leases');
    assert.deepEqual(leases.map((l) => l.job).sort(), [
      'idle-revocation',
      'outbox-retention',
      'request-log-retention',
      'token-expiry',
    ]);
  });
});
