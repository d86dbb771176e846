import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { AuditEvent } from '../../src/audit/entities/audit-event.entity';
import {
  assertError,
  createToken,
  createUser,
  createWorkspace,
  TestToken,
  TestUser,
  TestWorkspace,
} from '../support/factories';
import { fromAddress, sleep } from '../support/net';
import {
  discover,
  hiddenFields,
  OAuthTestApp,
  obtainTokens,
  registerClient,
  RegisteredClient,
  startOAuthTestApp,
} from '../support/oauth';
import { basicAuth, startTestApp, TestApp } from '../support/test-app';
import { alertOf } from '../web/web-helpers';

// SPEC §12: failed-authentication limits that hold under parallel requests and never lock out a
// valid token. Every suite sends its failures from a loopback address of its own (127.0.x.y), so
// that the suites, and the admin's own requests from 127.0.0.1, never block one another.

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const BAD_TOKEN = 'Bearer ts_thisIsNotAValidTokenAtAll0000';

interface Response {
  status: number;
  body: Record<string, unknown>;
  headers: Record<string, string>;
  text: string;
}

/** Requests from one client address; `cookies` keeps the login page's session between them. */
class Client {
  readonly agent: Agent;
  readonly session: ReturnType<TestApp['http']>;

  constructor(
    readonly t: TestApp,
    readonly ip: string,
  ) {
    this.agent = fromAddress(ip);
    this.session = t.http();
  }

  get(path: string, headers: Record<string, string> = {}): Promise<Response> {
    const req = this.session.get(path).agent(this.agent).redirects(0);
    for (const [name, value] of Object.entries(headers)) {
      req.set(name, value);
    }
    return req.then((res) => res as unknown as Response);
  }

  post(
    path: string,
    form: Record<string, string>,
    headers: Record<string, string> = {},
  ): Promise<Response> {
    const req = this.session.post(path).agent(this.agent).redirects(0).type('form');
    for (const [name, value] of Object.entries(headers)) {
      req.set(name, value);
    }
    return req.send(form).then((res) => res as unknown as Response);
  }

  /** GET /api/v1/me with these headers. */
  me(headers: Record<string, string>): Promise<Response> {
    return this.get('/api/v1/me', headers);
  }

  /** The login form's hidden fields (CSRF token), fetched once per client. */
  async loginForm(): Promise<Record<string, string>> {
    const page = await this.get('/login');
    assert.equal(page.status, 200, page.text);
    return hiddenFields(page.text, '/login');
  }

  async login(
    fields: Record<string, string>,
    login: string,
    password: string,
    code = '',
  ): Promise<Response> {
    return this.post('/login', { ...fields, login, password, code });
  }
}

function assertRateLimited(res: Response, limit: number): void {
  assertError(res, 429, 'rate_limited');
  assert.ok(Number(res.headers['retry-after']) >= 1, JSON.stringify(res.headers));
  assert.equal(res.headers['ratelimit-limit'], String(limit));
}

/** Failed-login audit events from one address (read from the database: no request counted). */
async function failedLogins(t: TestApp, ip: string): Promise<AuditEvent[]> {
  return t.dataSource.getRepository(AuditEvent).find({ where: { action: 'auth.failed', ip } });
}

function countStatuses(responses: Response[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const res of responses) {
    counts[res.status] = (counts[res.status] ?? 0) + 1;
  }
  return counts;
}

const BURST = 30;
const LIMIT = 5;

/**
 * At most LIMIT of a burst were verified (401); the others were refused unverified: 429, or 503
 * when the counter store did not answer in time (on a loaded machine), never a verification.
 */
function assertNotPastLimit(responses: Response[]): void {
  const counts = countStatuses(responses);
  assert.ok((counts[401] ?? 0) <= LIMIT, JSON.stringify(counts));
  assert.equal(
    (counts[401] ?? 0) + (counts[429] ?? 0) + (counts[503] ?? 0),
    BURST,
    JSON.stringify(counts),
  );
}

/** The right password past the limit: refused without being verified, with Retry-After. */
function assertRefused(res: Response): void {
  assert.ok([429, 503].includes(res.status), `${res.status}: ${res.text}`);
  assert.ok(Number(res.headers['retry-after']) >= 1, JSON.stringify(res.headers));
}

for (const store of ['memory', 'redis'] as const) {
  describe(`parallel guesses cannot pass FAILED_AUTH_LIMIT (${store} counters)`, () => {
    let t: TestApp;
    let owner: TestUser;
    let ws: TestWorkspace;
    let token: TestToken;

    before(async () => {
      t = await startTestApp({
        env: {
          FAILED_AUTH_LIMIT: String(LIMIT),
          FAILED_LOGIN_ACCOUNT_LIMIT: '1000',
          ...(store === 'redis' ? { REDIS_URL } : {}),
        },
      });
      owner = await createUser(t);
      ws = await createWorkspace(t, owner);
      token = await createToken(t, owner, ws, { scopes: ['read'] });
    });
    after(() => t?.close());

    it('verifies at most the limit of a parallel Basic burst; the right password inside it gets 429', async () => {
      const client = new Client(t, '127.0.1.1');
      // Distinct passwords, as in a real attack: no two requests share one verification.
      const burst = Array.from({ length: BURST }, (_, i) =>
        client.me({ Authorization: basicAuth(owner.username, `wrong-password-${i}`) }),
      );
      // The right password arrives while the burst is still being verified.
      await sleep(150);
      const right = await client.me({ Authorization: owner.basic });
      const responses = await Promise.all(burst);
      assertNotPastLimit(responses);
      assertRefused(right);
      const verified = await failedLogins(t, client.ip);
      assert.ok(
        verified.length <= LIMIT,
        `${verified.length} wrong passwords were verified, the limit is ${LIMIT}`,
      );
    });

    it('still serves a valid token from the blocked address, and refuses bad ones with 429', async () => {
      const client = new Client(t, '127.0.1.1');
      const ok = await client.me({ Authorization: token.bearer });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.equal(ok.body.id, owner.id);
      assertRateLimited(await client.me({ Authorization: BAD_TOKEN }), LIMIT);
      // Passwords stay refused, right or wrong, and are not verified.
      assertRateLimited(await client.me({ Authorization: t.adminBasic }), LIMIT);
      assertRateLimited(
        await client.me({ Authorization: basicAuth(owner.username, 'another-guess') }),
        LIMIT,
      );
    });

    it('verifies at most the limit of a parallel /login burst; the right password inside it gets 429', async () => {
      const client = new Client(t, '127.0.1.2');
      const fields = await client.loginForm();
      const burst = Array.from({ length: BURST }, (_, i) =>
        client.login(fields, owner.username, `wrong-password-${i}`),
      );
      await sleep(150);
      const right = await client.login(fields, owner.username, owner.password);
      const responses = await Promise.all(burst);
      assertNotPastLimit(responses);
      assertRefused(right);
      if (right.status === 429) {
        assert.match(alertOf(right.text), /Too many failed sign-in attempts/);
      }
      const verified = await failedLogins(t, client.ip);
      assert.ok(
        verified.length <= LIMIT,
        `${verified.length} wrong passwords were verified, the limit is ${LIMIT}`,
      );
    });
  });
}

describe('a blocked address never locks out a valid token', () => {
  let t: TestApp;
  let owner: TestUser;
  let ws: TestWorkspace;
  let token: TestToken;

  before(async () => {
    t = await startTestApp({ env: { FAILED_AUTH_LIMIT: '3', FAILED_LOGIN_ACCOUNT_LIMIT: '10' } });
    owner = await createUser(t);
    ws = await createWorkspace(t, owner);
    token = await createToken(t, owner, ws, { scopes: ['read'] });
  });
  after(() => t?.close());

  it('counts bad tokens toward the address, then serves valid tokens and refuses everything else', async () => {
    const c = new Client(t, '127.0.2.1');
    for (let i = 0; i < 3; i++) {
      assertError(await c.me({ Authorization: BAD_TOKEN }), 401, 'invalid_token');
    }
    assertRateLimited(await c.me({ Authorization: BAD_TOKEN }), 3);
    // Blocked now. A valid token is served, over every way of sending one …
    const valid: Record<string, string>[] = [
      { Authorization: token.bearer },
      { 'X-API-Key': token.token },
      { Authorization: basicAuth('anyuser', token.token) },
    ];
    for (const headers of valid) {
      const res = await c.me(headers);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.id, owner.id);
    }
    // … while unknown tokens and every password attempt get 429, right or wrong.
    assertRateLimited(await c.me({ 'X-API-Key': 'ts_thisIsNotAValidTokenAtAll0000' }), 3);
    assertRateLimited(await c.me({ Authorization: owner.basic }), 3);
    assertRateLimited(await c.me({ Authorization: t.adminBasic }), 3);
    assertRateLimited(
      await c.me({ Authorization: basicAuth(owner.username, 'not-the-password') }),
      3,
    );
    // Other addresses are not affected.
    const elsewhere = await new Client(t, '127.0.2.2').me({ Authorization: owner.basic });
    assert.equal(elsewhere.status, 200, JSON.stringify(elsewhere.body));
  });
});

describe('failed passwords per account (FAILED_LOGIN_ACCOUNT_LIMIT)', () => {
  let t: TestApp;
  let victim: TestUser;
  let bystander: TestUser;
  let ws: TestWorkspace;
  let token: TestToken;

  before(async () => {
    t = await startTestApp({
      env: { FAILED_AUTH_LIMIT: '100', FAILED_LOGIN_ACCOUNT_LIMIT: '3' },
    });
    victim = await createUser(t);
    bystander = await createUser(t);
    ws = await createWorkspace(t, victim);
    token = await createToken(t, victim, ws, { scopes: ['read'] });
  });
  after(() => t?.close());

  it('blocks the account after guesses from many addresses; right and wrong passwords then get the same 429', async () => {
    for (let i = 1; i <= 3; i++) {
      const guess = await new Client(t, `127.0.3.${i}`).me({
        Authorization: basicAuth(victim.username, `guess-${i}`),
      });
      assertError(guess, 401, 'invalid_credentials');
    }
    const fresh = new Client(t, '127.0.3.10');
    const right = await fresh.me({ Authorization: victim.basic });
    const wrong = await fresh.me({ Authorization: basicAuth(victim.username, 'guess-4') });
    assertRateLimited(right, 3);
    assertRateLimited(wrong, 3);
    assert.equal(right.body.message, wrong.body.message);
    // By e-mail too, and on the login page.
    assertRateLimited(
      await fresh.me({
        Authorization: basicAuth(`${victim.username}@example.test`, victim.password),
      }),
      3,
    );
    const page = await fresh.login(await fresh.loginForm(), victim.username, victim.password);
    assert.equal(page.status, 429, alertOf(page.text));
    // The account's tokens still work, and other accounts from the same address too.
    const viaToken = await fresh.me({ Authorization: token.bearer });
    assert.equal(viaToken.status, 200, JSON.stringify(viaToken.body));
    const other = await fresh.me({ Authorization: bystander.basic });
    assert.equal(other.status, 200, JSON.stringify(other.body));
  });

  it('limits legacy API passwords (X-AUTH-*) per account too', async () => {
    const res = await new Client(t, '127.0.3.11').me({
      'X-AUTH-USER': victim.username,
      'X-AUTH-TOKEN': 'whatever-legacy-password',
    });
    assertRateLimited(res, 3);
  });

  it('keeps no account counter for logins that name nobody', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await new Client(t, '127.0.3.20').me({
        Authorization: basicAuth('nobody-by-this-name', `guess-${i}`),
      });
      assertError(res, 401, 'invalid_credentials');
    }
  });

  it('gives a right password its attempt back: valid sign-ins never add up to a block', async () => {
    const c = new Client(t, '127.0.3.30');
    for (let i = 0; i < 6; i++) {
      const res = await c.me({ Authorization: bystander.basic });
      assert.equal(res.status, 200, JSON.stringify(res.body));
    }
    assertError(
      await c.me({ Authorization: basicAuth(bystander.username, 'one-wrong') }),
      401,
      'invalid_credentials',
    );
    assertError(
      await c.me({ Authorization: basicAuth(bystander.username, 'two-wrong') }),
      401,
      'invalid_credentials',
    );
    const res = await c.me({ Authorization: bystander.basic });
    assert.equal(res.status, 200, JSON.stringify(res.body));
  });
});

describe('failed OAuth client authentications count toward the address', () => {
  let t: OAuthTestApp;
  let app: RegisteredClient;
  let accessToken: string;

  before(async () => {
    t = await startOAuthTestApp({ env: { FAILED_AUTH_LIMIT: '3' } });
    app = await registerClient(t, { confidential: true });
    const user = await createUser(t);
    accessToken = (await obtainTokens(t, await discover(t), app, user)).tokens.access_token;
  });
  after(() => t?.close());

  const wrongSecret = (): Record<string, string> => ({
    Authorization: basicAuth(app.clientId, 'tss_notTheSecretOfThisClientAtAll0000000000000'),
  });

  it('answers 429 with Retry-After on /oauth/token, /oauth/revoke and /oauth/introspect once blocked', async () => {
    const c = new Client(t, '127.0.4.1');
    const refresh = { grant_type: 'refresh_token', refresh_token: 'tsr_unknown' };
    for (let i = 0; i < 3; i++) {
      const res = await c.post('/oauth/token', refresh, wrongSecret());
      assert.equal(res.status, 401, res.text);
      assert.equal(res.body.error, 'invalid_client');
    }
    for (const [path, form] of [
      ['/oauth/token', refresh],
      ['/oauth/revoke', { token: 'tso_unknown' }],
      ['/oauth/introspect', { token: 'tso_unknown' }],
    ] as const) {
      const res = await c.post(path, form, wrongSecret());
      assert.equal(res.status, 429, `${path}: ${res.text}`);
      assert.equal(res.body.error, 'rate_limited');
      assert.equal(typeof res.body.error_description, 'string');
      assert.ok(Number(res.headers['retry-after']) >= 1, JSON.stringify(res.headers));
    }
    // The same address counter as the API's: a bad token is refused too …
    assertRateLimited(await c.me({ Authorization: BAD_TOKEN }), 3);
    // … but a valid OAuth access token and the right client secret are not locked out.
    const me = await c.me({ Authorization: `Bearer ${accessToken}` });
    assert.equal(me.status, 200, JSON.stringify(me.body));
    assert.equal(me.body.auth && (me.body.auth as { method: string }).method, 'oauth');
    const introspected = await c.post(
      '/oauth/introspect',
      { token: accessToken },
      { Authorization: basicAuth(app.clientId, app.clientSecret ?? '') },
    );
    assert.equal(introspected.status, 200, introspected.text);
    assert.equal(introspected.body.active, true);
  });
});
