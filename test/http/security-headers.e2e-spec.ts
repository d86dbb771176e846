import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createToken, createUser, createWorkspace, TestToken } from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';

/** The document policies a browser reads only on pages. */
const PAGE_ONLY = [
  'cross-origin-opener-policy',
  'cross-origin-resource-policy',
  'origin-agent-cluster',
  'referrer-policy',
  'x-dns-prefetch-control',
  'x-download-options',
  'x-permitted-cross-domain-policies',
  'x-xss-protection',
];

describe('security headers', () => {
  let t: TestApp;
  let token: TestToken;

  before(async () => {
    t = await startTestApp();
    const user = await createUser(t);
    const ws = await createWorkspace(t, user);
    token = await createToken(t, user, ws, { scopes: ['read'] });
  });
  after(() => t.close());

  it('answers that are no HTML documents carry the REST set (OWASP): API answers, refusals, unknown API paths, health, the OpenAPI document', async () => {
    const paths = [
      '/api/v1/me',
      '/api/v1/me',
      '/api/v1/no-such-route',
      '/health/live',
      '/api/docs-json',
    ];
    const answers = [
      await t.http().get(paths[0]).set('Authorization', token.bearer),
      await t.http().get(paths[1]),
      await t.http().get(paths[2]),
      await t.http().get(paths[3]),
      await t.http().get(paths[4]),
    ];
    assert.deepEqual(
      answers.map((r) => r.status),
      [200, 401, 404, 200, 200],
    );
    for (const [i, res] of answers.entries()) {
      const where = `${paths[i]} ${res.status}`;
      assert.match(String(res.headers['content-type']), /^application\/json/, where);
      assert.equal(
        res.headers['content-security-policy'],
        "default-src 'none';frame-ancestors 'none'",
        where,
      );
      assert.equal(res.headers['x-frame-options'], 'DENY', where);
      assert.equal(res.headers['x-content-type-options'], 'nosniff', where);
      assert.equal(res.headers['strict-transport-security'], undefined, 'http: no HSTS');
      for (const name of PAGE_ONLY) {
        assert.equal(res.headers[name], undefined, `${where}: ${name}`);
      }
    }
    assert.equal(answers[0].headers['cache-control'], 'no-store');
  });

  it('HTML pages, Swagger UI and the sign-in redirect target included, keep the document policies', async () => {
    for (const path of ['/login', '/api/docs', '/account/tokens']) {
      const res = await t.http().get(path).redirects(1);
      assert.match(String(res.headers['content-type']), /^text\/html/, path);
      const csp = String(res.headers['content-security-policy']);
      assert.match(csp, /default-src 'self'/, path);
      assert.match(csp, /frame-ancestors 'none'/, path);
      assert.equal(res.headers['x-frame-options'], 'SAMEORIGIN', path);
      assert.equal(res.headers['x-content-type-options'], 'nosniff', path);
      for (const name of PAGE_ONLY) {
        assert.ok(res.headers[name] !== undefined, `${path}: ${name}`);
      }
    }
  });
});
