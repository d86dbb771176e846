import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/app-config';
import {
  createToken,
  createUser,
  createWorkspace,
  TestToken,
  TestWorkspace,
} from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';

const APP = 'https://app.example.com';
const OTHER = 'https://evil.example.net';
const CORS_HEADERS = [
  'access-control-allow-origin',
  'access-control-allow-methods',
  'access-control-allow-headers',
  'access-control-expose-headers',
  'access-control-allow-credentials',
  'access-control-max-age',
];

function noCorsHeaders(headers: Record<string, unknown>, what: string): void {
  for (const name of CORS_HEADERS) {
    assert.equal(headers[name], undefined, `${what}: ${name}`);
  }
}

describe('CORS (SPEC §3)', () => {
  let t: TestApp;
  let token: TestToken;
  let ws: TestWorkspace;

  before(async () => {
    t = await startTestApp({ env: { CORS_ORIGINS: `${APP}, http://localhost:5173` } });
    const owner = await createUser(t);
    ws = await createWorkspace(t, owner, { plan: 'pro' });
    token = await createToken(t, owner, ws, { scopes: ['read'] });
  });
  after(() => t.close());

  describe('an allowed origin', () => {
    it('gets its preflight for /api/v1 answered with the SPEC headers and no credentials', async () => {
      const res = await t
        .http()
        .options('/api/v1/projects')
        .set('Origin', APP)
        .set('Access-Control-Request-Method', 'POST')
        .set('Access-Control-Request-Headers', 'authorization, x-workspace-id, content-type');
      assert.equal(res.status, 204);
      assert.equal(res.headers['access-control-allow-origin'], APP);
      assert.match(res.headers['access-control-allow-methods'], /\bPOST\b/);
      assert.match(res.headers['access-control-allow-methods'], /\bDELETE\b/);
      assert.equal(
        res.headers['access-control-allow-headers'],
        'Authorization, X-API-Key, X-Redmine-API-Key, X-Workspace-Id, Content-Type',
      );
      assert.equal(res.headers['access-control-allow-credentials'], undefined);
      assert.match(res.headers.vary ?? '', /Origin/i);
    });

    it('reads the API with a token and sees the exposed headers', async () => {
      const res = await t
        .http()
        .get('/api/v1/tokens/self')
        .set('Origin', APP)
        .set('Authorization', token.bearer)
        .set('X-Workspace-Id', ws.id);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.headers['access-control-allow-origin'], APP);
      const exposed = String(res.headers['access-control-expose-headers']);
      for (const name of [
        'RateLimit-Limit',
        'RateLimit-Remaining',
        'RateLimit-Reset',
        'X-Quota-Remaining',
        'X-Token-Expires-At',
        'Retry-After',
        'WWW-Authenticate',
      ]) {
        assert.ok(exposed.split(', ').includes(name), `exposes ${name}`);
      }
      assert.ok(res.headers['x-token-expires-at'], 'the header itself is sent');
      assert.equal(res.headers['access-control-allow-credentials'], undefined);
    });

    it('also gets CORS on refusals, so the page can read the error', async () => {
      const res = await t.http().get('/api/v1/projects').set('Origin', APP);
      assert.equal(res.status, 401);
      assert.equal(res.body.code, 'missing_credentials');
      assert.equal(res.headers['access-control-allow-origin'], APP);
    });

    it('may call /oauth/token, /oauth/revoke and /oauth/introspect', async () => {
      for (const path of ['/oauth/token', '/oauth/revoke', '/oauth/introspect']) {
        const res = await t
          .http()
          .options(path)
          .set('Origin', 'http://localhost:5173')
          .set('Access-Control-Request-Method', 'POST');
        assert.equal(res.status, 204, path);
        assert.equal(res.headers['access-control-allow-origin'], 'http://localhost:5173', path);
      }
    });

    it('gets no CORS on the pages, the consent page and the docs', async () => {
      for (const path of [
        '/login',
        '/oauth/authorize',
        '/account/tokens',
        '/api/docs',
        '/health/live',
      ]) {
        const preflight = await t
          .http()
          .options(path)
          .set('Origin', APP)
          .set('Access-Control-Request-Method', 'POST');
        noCorsHeaders(preflight.headers, `OPTIONS ${path}`);
        assert.notEqual(preflight.status, 204, `OPTIONS ${path}`);
        const get = await t.http().get(path).set('Origin', APP);
        noCorsHeaders(get.headers, `GET ${path}`);
      }
    });
  });

  describe('a foreign origin', () => {
    it('gets no CORS headers on a preflight (404 JSON) or a real request', async () => {
      const preflight = await t
        .http()
        .options('/api/v1/projects')
        .set('Origin', OTHER)
        .set('Access-Control-Request-Method', 'GET');
      noCorsHeaders(preflight.headers, 'preflight');
      assert.equal(preflight.status, 404);
      assert.match(String(preflight.headers['content-type']), /application\/json/);
      const res = await t
        .http()
        .get('/api/v1/tokens/self')
        .set('Origin', OTHER)
        .set('Authorization', token.bearer)
        .set('X-Workspace-Id', ws.id);
      assert.equal(res.status, 200, 'the server still answers; the browser withholds it');
      noCorsHeaders(res.headers, 'request');
    });

    it('is not matched by prefix, case or a trailing path', async () => {
      for (const origin of [`${APP}.evil.net`, APP.toUpperCase(), `${APP}/`, 'null']) {
        const res = await t.http().get('/api/v1/projects').set('Origin', origin);
        noCorsHeaders(res.headers, origin);
      }
    });
  });
});

describe('CORS without CORS_ORIGINS (the default)', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  it('answers no origin with CORS headers', async () => {
    const preflight = await t
      .http()
      .options('/api/v1/projects')
      .set('Origin', APP)
      .set('Access-Control-Request-Method', 'GET');
    assert.equal(preflight.status, 404);
    noCorsHeaders(preflight.headers, 'preflight');
    const res = await t.http().get('/api/v1/projects').set('Origin', APP);
    noCorsHeaders(res.headers, 'request');
  });
});

describe('CORS_ORIGINS validation', () => {
  it('accepts origins, with or without a trailing slash, and normalizes them', () => {
    const config = loadConfig({ CORS_ORIGINS: 'https://App.Example.com/, http://localhost:5173' });
    assert.deepEqual(config.corsOrigins, ['https://app.example.com', 'http://localhost:5173']);
  });

  it('refuses a wildcard, a path or another scheme, naming the variable', () => {
    for (const value of [
      '*',
      'https://a.example.com/app',
      'ftp://a.example.com',
      'a.example.com',
    ]) {
      assert.throws(
        () => loadConfig({ CORS_ORIGINS: value }),
        (error: Error) => error.message.includes('CORS_ORIGINS'),
        value,
      );
    }
  });
});
