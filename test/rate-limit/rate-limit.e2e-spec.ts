import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Redis from 'ioredis';
import { User } from '../../src/users/entities/user.entity';
import {
  assertError,
  createToken,
  createUser,
  createWorkspace,
  TestToken,
  TestUser,
  TestWorkspace,
} from '../support/factories';
import { wrongTotpCode } from '../credentials/credential-helpers';
import { totpCode } from '../support/factories';
import { OAuthBrowser } from '../support/oauth';
import { startTestApp, TestApp } from '../support/test-app';
import { alertOf } from '../web/web-helpers';

const REDIS_URL = 'redis://127.0.0.1:6379';

function projects(t: TestApp, auth: string, ws: TestWorkspace) {
  return t.http().get('/api/v1/projects').set('Authorization', auth).set('X-Workspace-Id', ws.id);
}

function assertRateLimited(
  res: { status: number; body: unknown; headers: Record<string, string> },
  limit: number,
): void {
  assertError(res, 429, 'rate_limited');
  const retryAfter = Number(res.headers['retry-after']);
  assert.ok(
    retryAfter >= 1,
    `Retry-After should be a positive number of seconds, got ${res.headers['retry-after']}`,
  );
  assert.equal(res.headers['ratelimit-limit'], String(limit));
  assert.equal(res.headers['ratelimit-remaining'], '0');
  assert.ok(Number(res.headers['ratelimit-reset']) >= 1);
}

const BAD_TOKEN = 'Bearer ts_thisIsNotAValidTokenAtAll0000';

describe('rate limits per token and per user (RATE_LIMIT_REQUESTS)', () => {
  let t: TestApp;
  let owner: TestUser;
  let ws: TestWorkspace;
  let token: TestToken;

  before(async () => {
    t = await startTestApp({ env: { RATE_LIMIT_REQUESTS: '5', RATE_LIMIT_WINDOW_SECONDS: '60' } });
    owner = await createUser(t); // admin: 1 request
    ws = await createWorkspace(t, owner); // owner: 1, admin: 2
    token = await createToken(t, owner, ws); // owner: 2
  });
  after(() => t?.close());

  it('counts down in RateLimit-* headers, then answers 429 rate_limited with Retry-After', async () => {
    for (let i = 1; i <= 5; i++) {
      const res = await projects(t, token.bearer, ws).expect(200);
      assert.equal(res.headers['ratelimit-limit'], '5');
      assert.equal(res.headers['ratelimit-remaining'], String(5 - i));
      const reset = Number(res.headers['ratelimit-reset']);
      assert.ok(reset >= 1 && reset <= 60, `RateLimit-Reset ${reset} should be within the window`);
    }
    const refused = await projects(t, token.bearer, ws);
    assertRateLimited(refused, 5);
    assert.ok(Number(refused.headers['retry-after']) <= 60);
  });

  it('limits each token on its own: another token of the same user still works', async () => {
    const second = await createToken(t, owner, ws, { name: 'second' }); // owner: 3
    const res = await projects(t, second.bearer, ws).expect(200);
    assert.equal(res.headers['ratelimit-remaining'], '4');
  });

  it('limits password credentials per user', async () => {
    // The owner has made 3 password requests in set-up; two more are allowed.
    await projects(t, owner.basic, ws).expect(200);
    const last = await projects(t, owner.basic, ws).expect(200);
    assert.equal(last.headers['ratelimit-remaining'], '0');
    assertRateLimited(await projects(t, owner.basic, ws), 5);
  });

  it('does not count public routes', async () => {
    const res = await t.http().get('/health/live').expect(200);
    assert.equal(res.headers['ratelimit-limit'], undefined);
  });
});

describe('a token with its own rate_limit', () => {
  let t: TestApp;
  let owner: TestUser;
  let ws: TestWorkspace;

  before(async () => {
    t = await startTestApp({ env: { RATE_LIMIT_REQUESTS: '100' } });
    owner = await createUser(t);
    ws = await createWorkspace(t, owner);
  });
  after(() => t?.close());

  it('is limited to its own figure, shown in the token and in the headers', async () => {
    const created = await t
      .http()
      .post('/api/v1/tokens')
      .set('Authorization', owner.basic)
      .set('X-Workspace-Id', ws.id)
      .send({ name: 'slow bot', scopes: ['read'], expires_in_days: 7, rate_limit: 2 })
      .expect(201);
    assert.equal(created.body.rate_limit, 2);
    const bearer = `Bearer ${created.body.token as string}`;
    const shown = await t
      .http()
      .get('/api/v1/tokens/self')
      .set('Authorization', bearer)
      .set('X-Workspace-Id', ws.id)
      .expect(200);
    assert.equal(shown.body.rate_limit, 2);
    assert.equal(shown.headers['ratelimit-limit'], '2');
    const second = await projects(t, bearer, ws).expect(200);
    assert.equal(second.headers['ratelimit-remaining'], '0');
    assertRateLimited(await projects(t, bearer, ws), 2);
  });

  it('keeps its rate_limit when rotated', async () => {
    const created = await t
      .http()
      .post('/api/v1/tokens')
      .set('Authorization', owner.basic)
      .set('X-Workspace-Id', ws.id)
      .send({ name: 'rotating bot', scopes: ['read'], expires_in_days: 7, rate_limit: 7 })
      .expect(201);
    const rotated = await t
      .http()
      .post(`/api/v1/tokens/${created.body.id as string}/rotate`)
      .set('Authorization', owner.basic)
      .set('X-Workspace-Id', ws.id)
      .send({})
      .expect(201);
    assert.equal(rotated.body.rate_limit, 7);
    const res = await projects(t, `Bearer ${rotated.body.token as string}`, ws).expect(200);
    assert.equal(res.headers['ratelimit-limit'], '7');
  });

  it('gives a child minted by a rate-limited token the parent’s limit when it names none', async () => {
    const parent = await t
      .http()
      .post('/api/v1/tokens')
      .set('Authorization', owner.basic)
      .set('X-Workspace-Id', ws.id)
      .send({ name: 'parent', scopes: ['read', 'write'], expires_in_days: 7, rate_limit: 5 })
      .expect(201);
    const child = await t
      .http()
      .post('/api/v1/tokens')
      .set('Authorization', `Bearer ${parent.body.token as string}`)
      .set('X-Workspace-Id', ws.id)
      // A day less than the parent: a child may not outlive it, and a second boundary crossed
      // between the two mints would make an equal lifetime one second longer.
      .send({ name: 'child', scopes: ['read'], expires_in_days: 6 })
      .expect(201);
    assert.equal(child.body.rate_limit, 5);
    const res = await projects(t, `Bearer ${child.body.token as string}`, ws).expect(200);
    assert.equal(res.headers['ratelimit-limit'], '5');
    // A password caller has no limit of its own to pass on: the instance default applies.
    const byPassword = await t
      .http()
      .post('/api/v1/tokens')
      .set('Authorization', owner.basic)
      .set('X-Workspace-Id', ws.id)
      .send({ name: 'no own limit', scopes: ['read'], expires_in_days: 7 })
      .expect(201);
    assert.equal(byPassword.body.rate_limit, null);
  });

  it('cannot be raised above the instance limit except by an instance administrator', async () => {
    const before = await t
      .http()
      .get('/api/v1/tokens?state=all')
      .set('Authorization', owner.basic)
      .set('X-Workspace-Id', ws.id)
      .expect(200);
    const refused = await t
      .http()
      .post('/api/v1/tokens')
      .set('Authorization', owner.basic)
      .set('X-Workspace-Id', ws.id)
      .send({ name: 'greedy', scopes: ['read'], expires_in_days: 7, rate_limit: 101 });
    assertError(refused, 400, 'validation_failed');
    assert.equal(refused.body.details[0].field, 'rate_limit');
    const afterList = await t
      .http()
      .get('/api/v1/tokens?state=all')
      .set('Authorization', owner.basic)
      .set('X-Workspace-Id', ws.id)
      .expect(200);
    assert.equal(
      afterList.body.total_count,
      before.body.total_count,
      'a refused request creates nothing',
    );

    const admin = await t
      .http()
      .post('/api/v1/tokens')
      .set('Authorization', t.adminBasic)
      .send({ name: 'bulk import', scopes: ['read'], expires_in_days: 7, rate_limit: 5000 })
      .expect(201);
    assert.equal(admin.body.rate_limit, 5000);
  });

  it('refuses a rate_limit that is not a positive whole number', async () => {
    for (const rate_limit of [0, -1, 1.5, '10', 1_000_001]) {
      const res = await t
        .http()
        .post('/api/v1/tokens')
        .set('Authorization', owner.basic)
        .set('X-Workspace-Id', ws.id)
        .send({ name: 'odd', scopes: ['read'], expires_in_days: 7, rate_limit });
      assertError(res, 400, 'validation_failed');
    }
  });
});

describe('failed authentication per client address (FAILED_AUTH_LIMIT)', () => {
  let t: TestApp;
  let owner: TestUser;
  let ws: TestWorkspace;
  let token: TestToken;

  before(async () => {
    t = await startTestApp({ env: { FAILED_AUTH_LIMIT: '3', FAILED_AUTH_WINDOW_SECONDS: '60' } });
    owner = await createUser(t);
    ws = await createWorkspace(t, owner);
    token = await createToken(t, owner, ws);
  });
  after(() => t?.close());

  it('does not count requests without credentials or with good ones', async () => {
    for (let i = 0; i < 5; i++) {
      assertError(
        await t.http().get('/api/v1/projects').set('X-Workspace-Id', ws.id),
        401,
        'missing_credentials',
      );
      await projects(t, token.bearer, ws).expect(200);
    }
  });

  it('blocks the address after repeated bad tokens and passwords, except for a valid token', async () => {
    assertError(await projects(t, BAD_TOKEN, ws), 401, 'invalid_token');
    const unknownButWellFormed = await createToken(t, owner, ws, { name: 'to revoke' });
    await t
      .http()
      .delete(`/api/v1/tokens/${unknownButWellFormed.id}`)
      .set('Authorization', owner.basic)
      .set('X-Workspace-Id', ws.id)
      .expect(204);
    assertError(
      await projects(
        t,
        `Basic ${Buffer.from(`${owner.username}:wrong-password`).toString('base64')}`,
        ws,
      ),
      401,
      'invalid_credentials',
    );
    assertError(
      await projects(t, 'Bearer ts_anotherGuessThatIsWrong0000000', ws),
      401,
      'invalid_token',
    );
    // The fourth failure passes the limit of three.
    assertRateLimited(await projects(t, BAD_TOKEN, ws), 3);
    // Now every password is refused before it is verified, the right one too …
    const password = await projects(t, owner.basic, ws);
    assertRateLimited(password, 3);
    assert.ok(Number(password.headers['retry-after']) <= 60);
    // … but a valid token is served (SPEC §12: tokens cannot be guessed).
    await projects(t, token.bearer, ws).expect(200);
  });
});

describe('failed sign-ins on the web login page', () => {
  let t: TestApp;
  let owner: TestUser;

  before(async () => {
    t = await startTestApp({ env: { FAILED_AUTH_LIMIT: '2' } });
    owner = await createUser(t);
  });
  after(() => t?.close());

  it('counts wrong passwords per address and then refuses even the right one with 429', async () => {
    const browser = new OAuthBrowser(t);
    const wrong = { username: owner.username, password: 'not-the-password' };
    assert.equal((await browser.submitLogin(wrong)).status, 401);
    assert.equal((await browser.submitLogin(wrong)).status, 401);
    const third = await browser.submitLogin(wrong);
    assert.equal(third.status, 429);
    assert.match(alertOf(third.text), /Too many failed sign-in attempts/);
    const right = await browser.submitLogin(owner);
    assert.equal(
      right.status,
      429,
      'a blocked address cannot sign in, even with the right password',
    );
    assert.ok(Number(right.headers['retry-after']) >= 1);
  });
});

describe('second-factor codes cannot be guessed on the 2FA routes', () => {
  let t: TestApp;
  let owner: TestUser;

  before(async () => {
    t = await startTestApp({ env: { FAILED_AUTH_LIMIT: '3' } });
    owner = await createUser(t);
  });
  after(() => t?.close());

  it('counts wrong codes per address and account, then answers 429 even to the right code', async () => {
    const started = await t
      .http()
      .post('/api/v1/me/two-factor')
      .set('Authorization', owner.basic)
      .expect(201);
    const secret = started.body.secret as string;
    await t
      .http()
      .post('/api/v1/me/two-factor/confirm')
      .set('Authorization', owner.basic)
      .send({ code: await totpCode(secret) })
      .expect(200);
    const disable = async (code: string) =>
      t.http().delete('/api/v1/me/two-factor').set('Authorization', owner.basic).send({ code });
    for (let i = 0; i < 3; i++) {
      assertError(await disable(await wrongTotpCode(secret)), 400, 'validation_failed');
    }
    assertRateLimited(await disable(await wrongTotpCode(secret)), 3);
    assertRateLimited(await disable(await totpCode(secret)), 3);
    // The address is now refused everywhere; and 2FA is still on.
    assertRateLimited(await t.http().get('/api/v1/me').set('Authorization', owner.basic), 3);
    const user = await t.dataSource
      .getRepository(User)
      .findOneOrFail({ where: { id: owner.id }, select: { id: true, totpEnabledAt: true } });
    assert.notEqual(user.totpEnabledAt, null);
  });
});

describe('rate limits shared through Redis by two instances', () => {
  let a: TestApp;
  let b: TestApp;
  let redis: Redis;
  let owner: TestUser;
  let ws: TestWorkspace;
  let token: TestToken;

  before(async () => {
    const env = { REDIS_URL, RATE_LIMIT_REQUESTS: '20', FAILED_AUTH_LIMIT: '2' };
    a = await startTestApp({ env });
    // The second instance uses the first one's database (and so shares its counters).
    const shared: Record<string, string> =
      a.config.database.type === 'mysql'
        ? { DATABASE_URL: a.config.database.url }
        : { DATA_DIR: a.config.dataDir };
    b = await startTestApp({ env: { ...env, ...shared } });
    redis = new Redis(REDIS_URL);
    owner = await createUser(a);
    ws = await createWorkspace(a, owner);
    token = await createToken(a, owner, ws, { name: 'shared' });
  });
  after(async () => {
    await b?.close();
    await a?.close();
    await redis?.quit();
  });

  it('counts a token once across instances, in Redis', async () => {
    const created = await a
      .http()
      .post('/api/v1/tokens')
      .set('Authorization', owner.basic)
      .set('X-Workspace-Id', ws.id)
      .send({ name: 'limited', scopes: ['read'], expires_in_days: 7, rate_limit: 4 })
      .expect(201);
    const bearer = `Bearer ${created.body.token as string}`;
    await projects(a, bearer, ws).expect(200);
    await projects(b, bearer, ws).expect(200);
    await projects(a, bearer, ws).expect(200);
    const fourth = await projects(b, bearer, ws).expect(200);
    assert.equal(fourth.headers['ratelimit-remaining'], '0');
    assertRateLimited(await projects(a, bearer, ws), 4);
    assertRateLimited(await projects(b, bearer, ws), 4);
    const keys = await redis.keys(`tessera:rl:*:req:token:${created.body.id as string}`);
    assert.equal(keys.length, 1, 'the counter lives in Redis');
  });

  it('blocks an address on every instance once it failed too often on any', async () => {
    await projects(a, token.bearer, ws).expect(200);
    assertError(await projects(a, BAD_TOKEN, ws), 401, 'invalid_token');
    assertError(await projects(b, BAD_TOKEN, ws), 401, 'invalid_token');
    assertRateLimited(await projects(a, BAD_TOKEN, ws), 2);
    assertRateLimited(await projects(b, BAD_TOKEN, ws), 2);
    assertRateLimited(await projects(b, owner.basic, ws), 2);
    await projects(b, token.bearer, ws).expect(200);
  });
});
