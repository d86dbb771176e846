import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import {
  assertError,
  createToken,
  createUser,
  createWorkspace,
  TestToken,
  TestUser,
  TestWorkspace,
} from '../support/factories';
import {
  MariaDbInstance,
  mariaDbUnavailableReason,
  startMariaDb,
} from '../support/mariadb-instance';
import { startTestApp, TestApp } from '../support/test-app';

// "Fast" here means well under the 10 s a client library typically waits, not a benchmark.
const FAST_MS = 5000;
// A request that hangs must fail the test, not stall it.
const REQUEST_TIMEOUT_MS = 20_000;
const RESUME_WITHIN_MS = 60_000;

interface Outcome {
  status: number;
  code: unknown;
  ms: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function timed(req: request.Test): Promise<{ res: request.Response; ms: number }> {
  const started = Date.now();
  const res = await req.timeout(REQUEST_TIMEOUT_MS);
  return { res, ms: Date.now() - started };
}

function assertUnavailable(res: request.Response, ms: number, what: string): void {
  assertError(res, 503, 'database_unavailable');
  assert.equal(res.body.error, 'Service Unavailable');
  assert.match(String(res.headers['retry-after']), /^\d+$/, `${what}: Retry-After`);
  assert.match(String(res.headers['content-type']), /application\/json/);
  assert.ok(ms < FAST_MS, `${what} took ${ms} ms; it should fail fast`);
}

// The outage needs a MySQL server this test may stop, so it always brings its own MariaDB,
// whichever database the rest of the suite runs on; the embedded SQLite file cannot go away.
describe(
  'Database outage: a private MariaDB stopped and restarted under traffic',
  { skip: mariaDbUnavailableReason() ?? false, timeout: 180_000 },
  () => {
    let db: MariaDbInstance | undefined;
    let t: TestApp | undefined;
    let owner: TestUser;
    let ws: TestWorkspace;
    let warm: TestToken;
    let cold: TestToken;

    const app = (): TestApp => {
      assert.ok(t, 'the app did not start');
      return t;
    };
    const listProjects = (token: TestToken): request.Test =>
      app()
        .http()
        .get('/api/v1/projects')
        .set('Authorization', token.bearer)
        .set('X-Workspace-Id', ws.id);
    const createProject = (token: TestToken): request.Test =>
      app()
        .http()
        .post('/api/v1/projects')
        .set('Authorization', token.bearer)
        .set('X-Workspace-Id', ws.id)
        .send({ name: 'Outage', identifier: `p${Date.now().toString(36)}` });

    before(async () => {
      db = await startMariaDb();
      const url = await db.createDatabase('tessera_outage');
      t = await startTestApp({ env: { DATABASE_URL: url } });
      owner = await createUser(t);
      ws = await createWorkspace(t, owner);
      warm = await createToken(t, owner, ws);
      // Never used before the outage, so its first use needs the database to authenticate.
      cold = await createToken(t, owner, ws);
    });

    after(async () => {
      try {
        await t?.close();
      } finally {
        await db?.destroy();
      }
    });

    it('serves authenticated requests while the database is up', async () => {
      const res = await listProjects(warm);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal((await app().http().get('/health/ready')).status, 200);
    });

    it('answers 503 database_unavailable, fast, to traffic running on while the database stops', async () => {
      const seen: Outcome[] = [];
      let running = true;
      const traffic = (async () => {
        while (running) {
          const { res, ms } = await timed(listProjects(warm));
          seen.push({ status: res.status, code: (res.body as { code?: unknown }).code, ms });
          await sleep(20);
        }
      })();
      try {
        await sleep(300);
        await db?.stop();
        await sleep(500);

        // The token is in the auth cache: authentication needs no database, the data does.
        const cached = await timed(listProjects(warm));
        assertUnavailable(cached.res, cached.ms, 'GET with a cached token');
        // A token this instance has not seen yet must not be refused as invalid (401).
        const uncached = await timed(listProjects(cold));
        assertUnavailable(uncached.res, uncached.ms, 'GET with an uncached token');
        const write = await timed(createProject(warm));
        assertUnavailable(write.res, write.ms, 'POST');
        const password = await timed(
          app().http().get('/api/v1/workspaces').set('Authorization', owner.basic),
        );
        assertUnavailable(password.res, password.ms, 'Basic password');
      } finally {
        running = false;
        await traffic;
      }
      const unexpected = seen.filter(
        (o) => o.status !== 200 && !(o.status === 503 && o.code === 'database_unavailable'),
      );
      assert.deepEqual(unexpected, [], 'every response is a 200 or a 503 database_unavailable');
      assert.ok(
        seen.some((o) => o.status === 503),
        `the traffic saw the outage (${seen.length} requests)`,
      );
      const slowest = Math.max(...seen.map((o) => o.ms));
      assert.ok(slowest < FAST_MS, `slowest request under traffic took ${slowest} ms`);
    });

    it('reports /health/ready 503 and keeps /health/live at 200 while the database is down', async () => {
      const ready = await timed(app().http().get('/health/ready'));
      assertError(ready.res, 503, 'service_unavailable');
      assert.ok(ready.ms < FAST_MS, `/health/ready took ${ready.ms} ms`);
      const live = await timed(app().http().get('/health/live'));
      assert.equal(live.res.status, 200);
      assert.deepEqual(live.res.body, { status: 'ok' });
    });

    it('resumes by itself once the database is back, with no restart of the app', async () => {
      await db?.start();
      const deadline = Date.now() + RESUME_WITHIN_MS;
      let last: request.Response | undefined;
      while (Date.now() < deadline) {
        last = (await timed(listProjects(warm))).res;
        if (last.status === 200) {
          break;
        }
        await sleep(250);
      }
      assert.equal(last?.status, 200, `not resumed: ${JSON.stringify(last?.body)}`);
      assert.equal((await listProjects(cold)).status, 200);
      assert.equal((await createProject(warm)).status, 201);
      const password = await app()
        .http()
        .get('/api/v1/workspaces')
        .set('Authorization', owner.basic);
      assert.equal(password.status, 200);
      assert.equal((await app().http().get('/health/ready')).status, 200);
    });
  },
);
