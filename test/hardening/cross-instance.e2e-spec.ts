import assert from 'node:assert/strict';
import { after, before, describe, it, TestContext } from 'node:test';
import {
  ApiResponse,
  AppProcess,
  callApi,
  seedToken,
  SeededToken,
  startAppProcess,
} from '../support/app-process';
import { freshDatabase, TestDatabase } from '../support/databases';
import { redisUnavailableReason, TEST_REDIS_URL } from '../support/redis';

const REDIS_URL = TEST_REDIS_URL;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The very next request after the change on A: A answers only once Redis has handed the
 * invalidation to B's subscription (AuthCache.invalidate awaits the publish), so B must already
 * know — no retry.
 */
async function nextRequest(
  call: () => Promise<ApiResponse>,
  status: number,
  what: string,
): Promise<ApiResponse> {
  const res = await call();
  if (res.status !== status) {
    assert.fail(
      `${what}: ${res.status} ${JSON.stringify(res.body)}; what the instances logged: ` +
        `A ${JSON.stringify(instanceLog.a?.() ?? '')}, B ${JSON.stringify(instanceLog.b?.() ?? '')}`,
    );
  }
  return res;
}

// The instances' output, for the message of a failed nextRequest: whether A warned that Redis
// did not confirm an invalidation in time, or B lost its subscription, says where it went wrong.
const instanceLog: { a?: () => string; b?: () => string } = {};

function assertRefusedBody(res: ApiResponse, code: string): void {
  assert.deepEqual(
    { statusCode: res.body.statusCode, error: res.body.error, code: res.body.code },
    { statusCode: 401, error: 'Unauthorized', code },
  );
  assert.match(String(res.headers.get('www-authenticate')), /error="invalid_token"/);
}

// Two processes, because @nestjs/passport keeps strategies in a process-wide registry. They
// share one database: on SQLite one file opened by both (WAL, busy timeout), on MySQL one
// database. Each caches tokens in memory for 30 s; only Redis pub/sub tells B what A changed.
describe(
  'Two instances with REDIS_URL: a change on A is enforced on B',
  { timeout: 180_000 },
  () => {
    let skipReason: string | null = null;
    let db: TestDatabase | undefined;
    let a: AppProcess | undefined;
    let b: AppProcess | undefined;

    const instances = (): { a: AppProcess; b: AppProcess; db: TestDatabase } => {
      assert.ok(a && b && db, 'the instances did not start');
      return { a, b, db };
    };
    const listProjects = (app: AppProcess, token: SeededToken, bearer = token.bearer) =>
      callApi(app.baseUrl, 'GET', '/api/v1/projects', {
        auth: bearer,
        workspaceId: token.workspaceId,
      });
    /** Uses the token on B twice: the second request is served from B's cache. */
    const warmOnB = async (token: SeededToken): Promise<void> => {
      for (let i = 0; i < 2; i += 1) {
        const res = await listProjects(instances().b, token);
        assert.equal(res.status, 200, JSON.stringify(res.body));
      }
    };
    const skipped = (t: TestContext): boolean => {
      if (skipReason) {
        t.skip(skipReason);
        return true;
      }
      return false;
    };

    before(async () => {
      skipReason = await redisUnavailableReason();
      if (skipReason) {
        return;
      }
      db = await freshDatabase();
      const env = { ...db.env, REDIS_URL };
      // One after the other: the first applies the migrations and creates the admin.
      a = await startAppProcess(env);
      b = await startAppProcess(env);
      instanceLog.a = a.output.bind(a);
      instanceLog.b = b.output.bind(b);
    });

    after(async () => {
      try {
        await Promise.all([a?.stop(), b?.stop()]);
      } finally {
        await db?.drop();
      }
    });

    it('control: B keeps serving a cached token revoked behind the application’s back', async (t) => {
      if (skipped(t)) {
        return;
      }
      const { a: appA, b: appB, db: database } = instances();
      const token = await seedToken(appA);
      await warmOnB(token);
      // Written around the application, so no instance hears of it before the cache TTL: what
      // the tests below see on B is Redis at work, not B reading the database.
      const aSecondAgo =
        database.kind === 'mysql'
          ? 'UTC_TIMESTAMP(3) - INTERVAL 1 SECOND'
          : "strftime('%Y-%m-%d %H:%M:%f', 'now', '-1 second')";
      await database.query(`UPDATE api_tokens SET revoked_at = ${aSecondAgo} WHERE id = ?`, [
        token.tokenId,
      ]);
      await sleep(200);
      const res = await listProjects(appB, token);
      assert.equal(res.status, 200, 'B answered from its cache');
    });

    it('refuses on B a token revoked on A', async (t) => {
      if (skipped(t)) {
        return;
      }
      const { a: appA, b: appB } = instances();
      const token = await seedToken(appA);
      await warmOnB(token);
      const revoked = await callApi(appA.baseUrl, 'DELETE', `/api/v1/tokens/${token.tokenId}`, {
        auth: token.userBasic,
        workspaceId: token.workspaceId,
      });
      assert.equal(revoked.status, 204, JSON.stringify(revoked.body));
      const res = await nextRequest(() => listProjects(appB, token), 401, 'revoked on B');
      assertRefusedBody(res, 'token_revoked');
    });

    it('refuses on B a token reported leaked on A (SPEC §11.6)', async (t) => {
      if (skipped(t)) {
        return;
      }
      const { a: appA, b: appB } = instances();
      const token = await seedToken(appA);
      await warmOnB(token);
      const reported = await callApi(appA.baseUrl, 'POST', '/api/v1/tokens/revoke-leaked', {
        body: { tokens: [token.bearer.replace(/^Bearer /, '')] },
      });
      assert.equal(reported.status, 202, JSON.stringify(reported.body));
      const res = await nextRequest(() => listProjects(appB, token), 401, 'leaked on B');
      assertRefusedBody(res, 'token_revoked');
    });

    it('refuses on B, on the very next request, each of 20 tokens revoked one after another on A', async (t) => {
      if (skipped(t)) {
        return;
      }
      const { a: appA, b: appB } = instances();
      for (let i = 0; i < 20; i += 1) {
        const token = await seedToken(appA);
        await warmOnB(token);
        const revoked = await callApi(appA.baseUrl, 'DELETE', `/api/v1/tokens/${token.tokenId}`, {
          auth: token.userBasic,
          workspaceId: token.workspaceId,
        });
        assert.equal(revoked.status, 204, JSON.stringify(revoked.body));
        await nextRequest(() => listProjects(appB, token), 401, `revocation ${i + 1} on B`);
      }
    });

    it('applies on B, on the very next request, restrictions PATCHed on A (addresses, projects)', async (t) => {
      if (skipped(t)) {
        return;
      }
      const { a: appA, b: appB } = instances();
      const token = await seedToken(appA);
      const project = await callApi(appA.baseUrl, 'POST', '/api/v1/projects', {
        auth: token.userBasic,
        workspaceId: token.workspaceId,
        body: { name: 'Restricted', identifier: 'restricted' },
      });
      assert.equal(project.status, 201, JSON.stringify(project.body));
      await warmOnB(token);
      const patch = (body: object) =>
        callApi(appA.baseUrl, 'PATCH', `/api/v1/tokens/${token.tokenId}`, {
          auth: token.userBasic,
          workspaceId: token.workspaceId,
          body,
        });
      assert.equal((await patch({ project_ids: [] })).status, 200);
      const none = await nextRequest(() => listProjects(appB, token), 200, 'projects on B');
      assert.equal(none.body.total_count, 0, 'B still saw every project');
      assert.equal((await patch({ project_ids: null })).status, 200);
      const all = await nextRequest(() => listProjects(appB, token), 200, 'projects on B');
      assert.equal(all.body.total_count, 1);
      // fetch calls from 127.0.0.1: an allow-list without it refuses on B at once.
      assert.equal((await patch({ allowed_cidrs: ['192.0.2.0/24'] })).status, 200);
      const refused = await nextRequest(() => listProjects(appB, token), 403, 'address on B');
      assert.equal(refused.body.code, 'ip_not_allowed');
    });

    it('applies on B, on the very next request, a token policy tightened and loosened on A', async (t) => {
      if (skipped(t)) {
        return;
      }
      const { a: appA, b: appB } = instances();
      const token = await seedToken(appA);
      const me = () => callApi(appB.baseUrl, 'GET', '/api/v1/me', { auth: token.bearer });
      await warmOnB(token);
      assert.equal((await me()).status, 200);
      const setPolicy = async (body: object) => {
        const res = await callApi(
          appA.baseUrl,
          'PATCH',
          `/api/v1/workspaces/${token.workspaceId}/token-policy`,
          { auth: token.userBasic, body },
        );
        assert.equal(res.status, 200, JSON.stringify(res.body));
      };
      await setPolicy({ allowed_scopes: ['read'] });
      const refused = await nextRequest(() => listProjects(appB, token), 403, 'policy on B');
      assert.equal(refused.body.code, 'policy_violation');
      assert.equal((await nextRequest(me, 403, '/me on B')).body.code, 'policy_violation');
      await setPolicy({ allowed_scopes: ['read', 'write', 'delete', 'admin'] });
      await nextRequest(() => listProjects(appB, token), 200, 'loosened on B');
      await nextRequest(me, 200, '/me loosened on B');
    });

    it('refuses on B a token rotated on A without grace, and accepts its replacement', async (t) => {
      if (skipped(t)) {
        return;
      }
      const { a: appA, b: appB } = instances();
      const token = await seedToken(appA);
      await warmOnB(token);
      const rotated = await callApi(
        appA.baseUrl,
        'POST',
        `/api/v1/tokens/${token.tokenId}/rotate`,
        { auth: token.userBasic, workspaceId: token.workspaceId, body: { grace_seconds: 0 } },
      );
      assert.equal(rotated.status, 201, JSON.stringify(rotated.body));
      const res = await nextRequest(() => listProjects(appB, token), 401, 'rotated on B');
      assertRefusedBody(res, 'token_revoked');
      const replacement = await listProjects(appB, token, `Bearer ${rotated.body.token as string}`);
      assert.equal(replacement.status, 200, JSON.stringify(replacement.body));
    });

    it('accepts on B a token rotated on A with grace until the grace ends, then refuses it', async (t) => {
      if (skipped(t)) {
        return;
      }
      const { a: appA, b: appB } = instances();
      const token = await seedToken(appA);
      await warmOnB(token);
      const rotated = await callApi(
        appA.baseUrl,
        'POST',
        `/api/v1/tokens/${token.tokenId}/rotate`,
        { auth: token.userBasic, workspaceId: token.workspaceId, body: { grace_seconds: 3 } },
      );
      assert.equal(rotated.status, 201, JSON.stringify(rotated.body));
      const old = await callApi(appA.baseUrl, 'GET', `/api/v1/tokens/${token.tokenId}`, {
        auth: token.userBasic,
        workspaceId: token.workspaceId,
      });
      const graceEnds = Date.parse(String(old.body.revoked_at));
      assert.ok(graceEnds > Date.now(), `revoked_at ${String(old.body.revoked_at)} is ahead`);
      const during = await listProjects(appB, token);
      assert.equal(during.status, 200, `within the grace: ${JSON.stringify(during.body)}`);
      // B's first cached copy had no revoked_at: refusing now means B re-read it after A's
      // invalidation and checks it against the clock, with no further message needed.
      await sleep(Math.max(0, graceEnds - Date.now()) + 100);
      const res = await listProjects(appB, token);
      assert.equal(res.status, 401, JSON.stringify(res.body));
      assertRefusedBody(res, 'token_revoked');
    });

    it('refuses on B the tokens of a user locked on A, and accepts them once unlocked', async (t) => {
      if (skipped(t)) {
        return;
      }
      const { a: appA, b: appB } = instances();
      const token = await seedToken(appA);
      await warmOnB(token);
      const setStatus = (status: 'locked' | 'active') =>
        callApi(appA.baseUrl, 'PATCH', `/api/v1/admin/users/${token.userId}`, {
          auth: appA.adminBasic,
          body: { status },
        });
      const locked = await setStatus('locked');
      assert.equal(locked.status, 200, JSON.stringify(locked.body));
      const refused = await nextRequest(() => listProjects(appB, token), 401, 'locked on B');
      assertRefusedBody(refused, 'invalid_token');
      assert.match(String(refused.body.message), /locked/);
      const unlocked = await setStatus('active');
      assert.equal(unlocked.status, 200, JSON.stringify(unlocked.body));
      await nextRequest(() => listProjects(appB, token), 200, 'unlocked on B');
    });
  },
);
