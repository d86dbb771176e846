import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, TestApp } from '../support/test-app';

interface Operation {
  security?: Array<Record<string, string[]>>;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

describe('OpenAPI security schemes (SPEC §10)', () => {
  let t: TestApp;
  let doc: {
    components: { securitySchemes: Record<string, Record<string, unknown>> };
    paths: Record<string, Partial<Record<(typeof METHODS)[number], Operation>>>;
  };

  before(async () => {
    t = await startTestApp();
    const res = await t.http().get('/api/docs-json');
    assert.equal(res.status, 200);
    doc = res.body as typeof doc;
  });
  after(() => t.close());

  it('declares the bearer, api-key, query-key and basic schemes', () => {
    const schemes = doc.components.securitySchemes;
    assert.equal(schemes.bearer.type, 'http');
    assert.equal(schemes.bearer.scheme, 'bearer');
    assert.equal(schemes['api-key'].type, 'apiKey');
    assert.equal(schemes['api-key'].in, 'header');
    assert.equal(schemes['api-key'].name, 'X-API-Key');
    assert.equal(schemes['query-key'].type, 'apiKey');
    assert.equal(schemes['query-key'].in, 'query');
    assert.equal(schemes['query-key'].name, 'key');
    assert.equal(schemes.basic.type, 'http');
    assert.equal(schemes.basic.scheme, 'basic');
  });

  it('lists all four schemes on every authenticated /api/v1 operation', () => {
    let operations = 0;
    for (const [path, item] of Object.entries(doc.paths)) {
      if (!path.startsWith('/api/v1/')) {
        continue;
      }
      for (const method of METHODS) {
        const operation = item[method];
        if (!operation) {
          continue;
        }
        if (path === '/api/v1/tokens/revoke-leaked') {
          // The one public API route (SPEC §11.6): anyone may report a leaked token.
          assert.deepEqual(operation.security, [], 'revoke-leaked is documented as public');
          continue;
        }
        operations += 1;
        const names = (operation.security ?? []).flatMap((requirement) => Object.keys(requirement));
        // All four credential schemes of SPEC §4 (others, such as OAuth2, may come on top).
        for (const scheme of ['bearer', 'api-key', 'query-key', 'basic']) {
          assert.ok(names.includes(scheme), `${method.toUpperCase()} ${path} lacks ${scheme}`);
        }
        // Each scheme is an alternative on its own, not a combination of all four.
        for (const requirement of operation.security ?? []) {
          assert.equal(Object.keys(requirement).length, 1, `${method.toUpperCase()} ${path}`);
        }
      }
    }
    assert.ok(operations >= 20, `found ${operations} operations`);
  });
});
