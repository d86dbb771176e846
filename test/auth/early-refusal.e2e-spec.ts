import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  assertError,
  createToken,
  createUser,
  createWorkspace,
  TestToken,
  TestUser,
  TestWorkspace,
} from '../support/factories';
import { fromAddress } from '../support/net';
import { startTestApp, TestApp } from '../support/test-app';
import { parseExposition, value } from '../metrics/exposition';

const ORIGIN = 'https://app.example.com';
const METRICS_TOKEN = 'early-refusal-metrics-token';

/** The token with its last character changed: its shape is right, its checksum is not. */
function spoiled(token: string): string {
  return token.slice(0, -1) + (token.endsWith('a') ? 'b' : 'a');
}

// A lone malformed token on an @Auth() route is refused by a Fastify hook before Nest runs
// (src/auth/early-refusal.ts). These tests show that it answers exactly as AuthenticationGuard
// does, that it is counted the same way, and that everything else still reaches the guards.
describe('the early refusal of malformed tokens', () => {
  let t: TestApp;
  let owner: TestUser;
  let ws: TestWorkspace;
  let token: TestToken;
  let bad: string;

  before(async () => {
    t = await startTestApp({
      env: {
        CORS_ORIGINS: ORIGIN,
        FAILED_AUTH_LIMIT: '3',
        METRICS_ENABLED: 'true',
        METRICS_TOKEN,
      },
    });
    owner = await createUser(t);
    ws = await createWorkspace(t, owner);
    token = await createToken(t, owner, ws);
    bad = spoiled(token.token);
  });
  after(() => t?.close());

  /** GET /api/v1/projects in the workspace, from `ip`, with `headers`. */
  const projectsFrom = (ip: string, headers: Record<string, string>) =>
    t
      .http()
      .get('/api/v1/projects')
      .agent(fromAddress(ip))
      .set('X-Workspace-Id', ws.id)
      .set(headers);

  it('answers like the guard does: the same status, body and challenge', async () => {
    const early = await projectsFrom('127.0.31.1', { Authorization: `Bearer ${bad}` });
    assertError(early, 401, 'invalid_token');
    // Two credentials are never refused early: the guard runs both strategies.
    const byGuard = await projectsFrom('127.0.31.1', {
      Authorization: `Bearer ${bad}`,
      'X-API-Key': bad,
    });
    assertError(byGuard, 401, 'invalid_token');
    assert.deepEqual(early.body, byGuard.body);
    assert.equal(early.headers['www-authenticate'], byGuard.headers['www-authenticate']);
    assert.match(
      String(early.headers['www-authenticate']),
      /^Bearer realm="tessera", error="invalid_token", error_description="/,
    );
    for (const name of [
      'content-type',
      'cache-control',
      'content-security-policy',
      'x-content-type-options',
      'x-frame-options',
    ]) {
      assert.equal(early.headers[name], byGuard.headers[name], name);
    }
    assert.match(String(early.headers['x-request-id']), /^[0-9a-f-]{36}$/);
    assert.notEqual(early.headers['x-request-id'], byGuard.headers['x-request-id']);
    assert.ok(!JSON.stringify(early.body).includes(bad), 'the token is not echoed');
  });

  it('refuses before the body is read: a malformed token with an unreadable body is a 401', async () => {
    const agent = fromAddress('127.0.31.2');
    const post = (authorization: string) =>
      t
        .http()
        .post('/api/v1/projects')
        .agent(agent)
        .set('Authorization', authorization)
        .set('X-Workspace-Id', ws.id)
        .set('Content-Type', 'text/plain')
        .send('not json');
    // A well-formed token gets as far as the body, which is refused.
    assertError(await post(token.bearer), 415, 'unsupported_media_type');
    assertError(await post(`Bearer ${bad}`), 401, 'invalid_token');
    const apiKey = await t
      .http()
      .post('/api/v1/projects')
      .agent(agent)
      .set('X-API-Key', bad)
      .set('X-Workspace-Id', ws.id)
      .set('Content-Type', 'application/json')
      .send('{"name":');
    assertError(apiKey, 401, 'invalid_token');
  });

  it('counts each refusal against the client address and blocks it past FAILED_AUTH_LIMIT', async () => {
    const get = () => projectsFrom('127.0.31.3', { Authorization: `Bearer ${bad}` });
    for (let i = 0; i < 3; i++) {
      assertError(await get(), 401, 'invalid_token');
    }
    const blocked = await get();
    assertError(blocked, 429, 'rate_limited');
    assert.ok(Number(blocked.headers['retry-after']) > 0);
    // The block holds for passwords on the guard's path too, and a valid token still works.
    assertError(
      await projectsFrom('127.0.31.3', { Authorization: owner.basic }),
      429,
      'rate_limited',
    );
    await projectsFrom('127.0.31.3', { Authorization: token.bearer }).expect(200);
  });

  it('carries the CORS headers an allowed origin needs to read the refusal', async () => {
    const res = await projectsFrom('127.0.31.4', {
      Origin: ORIGIN,
      Authorization: `Bearer ${bad}`,
    });
    assertError(res, 401, 'invalid_token');
    assert.equal(res.headers['access-control-allow-origin'], ORIGIN);
    assert.match(String(res.headers['access-control-expose-headers']), /WWW-Authenticate/i);
  });

  it('is in the metrics: the authentication outcome and the route’s latency series', async () => {
    const scrape = async () =>
      parseExposition(
        (await t.http().get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`).expect(200))
          .text,
      );
    const before = await scrape();
    const labels = { method: 'GET', route: '/api/v1/projects', status: '401' };
    assertError(await projectsFrom('127.0.31.5', { 'X-API-Key': bad }), 401, 'invalid_token');
    const afterwards = await scrape();
    const outcome = { method: 'api_key', code: 'invalid_token' };
    assert.equal(
      value(afterwards, 'tessera_auth_outcomes_total', outcome) -
        (value(before, 'tessera_auth_outcomes_total', outcome) || 0),
      1,
    );
    assert.equal(
      value(afterwards, 'tessera_http_request_duration_seconds_count', labels) -
        (value(before, 'tessera_http_request_duration_seconds_count', labels) || 0),
      1,
    );
  });

  it('leaves public, unknown and page routes, and other credentials, to the guards', async () => {
    const agent = fromAddress('127.0.31.6');
    const bearer = `Bearer ${bad}`;
    // A public route ignores credentials.
    await t.http().get('/health/live').agent(agent).set('Authorization', bearer).expect(200);
    // An unknown route is unknown, whoever asks.
    assertError(
      await t.http().get('/api/v1/nothing-here').agent(agent).set('Authorization', bearer),
      404,
      'not_found',
    );
    // A malformed Authorization header is the guard's own refusal.
    const scheme = await projectsFrom('127.0.31.6', { Authorization: 'Token abc' });
    assertError(scheme, 401, 'invalid_token');
    assert.match(scheme.body.message, /Authorization header is malformed/);
    // A page answers a signed-out browser with a redirect to the sign-in form.
    const page = await t.http().get('/account/tokens').agent(agent).set('Authorization', bearer);
    assert.equal(page.status, 303);
    assert.match(String(page.headers.location), /^\/login/);
  });

  it('leaves the answer to the guard while the API is switched off', async () => {
    const switchApi = (on: boolean) =>
      t
        .http()
        .patch('/api/v1/admin/settings')
        .set('Authorization', t.adminBasic)
        .send({ rest_api_enabled: on })
        .expect(200);
    const get = () => projectsFrom('127.0.31.7', { Authorization: `Bearer ${bad}` });
    await switchApi(false);
    try {
      assertError(await get(), 403, 'api_disabled');
    } finally {
      await switchApi(true);
    }
    assertError(await get(), 401, 'invalid_token');
  });
});
