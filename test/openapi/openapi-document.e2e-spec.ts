import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OPERATION_IDS } from '../../src/openapi/operation-ids';
import { startTestApp, TestApp } from '../support/test-app';
import { HTTP_METHODS, Json, OpenApiDocument, OpenApiOperation } from './openapi-contract';

// The served OpenAPI document as a contract (SPEC §3 "The OpenAPI document is complete"):
// lint-clean under Redocly's recommended rules, stable ids, real types.

type Schema = Record<string, Json>;

function eachOperation(
  doc: OpenApiDocument,
): Array<{ method: string; path: string; operation: OpenApiOperation }> {
  const out: Array<{ method: string; path: string; operation: OpenApiOperation }> = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of HTTP_METHODS) {
      const operation = item[method];
      if (operation) {
        out.push({ method, path, operation });
      }
    }
  }
  return out;
}

describe('The OpenAPI document (SPEC §3)', () => {
  let t: TestApp;
  let doc: OpenApiDocument;
  let raw: string;

  const schema = (name: string): Schema => {
    const found = doc.components.schemas[name];
    assert.ok(found, `no schema ${name}`);
    return found;
  };
  const property = (name: string, field: string): Schema =>
    (schema(name).properties as Record<string, Schema>)[field];

  before(async () => {
    t = await startTestApp();
    const res = await t.http().get('/api/docs-json');
    assert.equal(res.status, 200);
    raw = res.text;
    doc = res.body as OpenApiDocument;
  });
  after(() => t.close());

  it('has no errors under Redocly’s recommended ruleset', async () => {
    const { createConfig, lintFromString } = await import('@redocly/openapi-core');
    const config = await createConfig({ extends: ['recommended'] });
    const problems = await lintFromString({ source: raw, absoluteRef: '/openapi.json', config });
    const errors = problems.filter((p) => p.severity === 'error');
    assert.deepEqual(
      errors.map((p) => `${p.ruleId}: ${p.message} at ${p.location[0]?.pointer ?? '?'}`),
      [],
    );
    // What remains are warnings about routes that truly answer no 4xx (health, metadata) and
    // the missing license of an unlicensed product.
    const warnings = problems.filter((p) => p.severity === 'warn').map((p) => p.ruleId);
    assert.deepEqual([...new Set(warnings)].sort(), ['info-license', 'operation-4xx-response']);
  });

  it('gives every operation a unique, camelCase operationId from the table', () => {
    const ids = eachOperation(doc).map(({ operation }) => operation.operationId ?? '');
    const named = new Set([...Object.values(OPERATION_IDS), 'oauthAuthorize']);
    for (const id of ids) {
      assert.match(id, /^[a-z][a-zA-Z0-9]*$/, `operationId ${id} is not camelCase`);
      assert.ok(named.has(id), `operationId ${id} is derived, not named in OPERATION_IDS`);
    }
    assert.equal(new Set(ids).size, ids.length, `duplicate operationIds: ${ids.join(', ')}`);
    assert.ok(ids.includes('listProjects') && ids.includes('createToken') && ids.includes('getMe'));
  });

  it('declares security on every operation: [] on the public ones', () => {
    for (const { method, path, operation } of eachOperation(doc)) {
      assert.ok(Array.isArray(operation.security), `${method} ${path} has no security`);
      // The leaked-token intake is the one public API route (SPEC §11.6).
      const isPublic = !path.startsWith('/api/') || path === '/api/v1/tokens/revoke-leaked';
      assert.equal(operation.security.length === 0, isPublic, `${method} ${path}`);
    }
  });

  it('documents null where responses send it: /me impersonated_by is nullable with a type', () => {
    const impersonatedBy = property('MeResponse', 'impersonated_by');
    assert.equal(impersonatedBy.nullable, true);
    assert.equal(impersonatedBy.type, 'object');
    assert.equal(impersonatedBy.allOf, undefined);
    // OpenAPI 3.0 ignores nullable without a type beside it, anywhere in the document.
    const walk = (value: Json, where: string): void => {
      if (Array.isArray(value)) {
        value.forEach((item, i) => walk(item, `${where}/${i}`));
      } else if (value && typeof value === 'object') {
        if (value.nullable === true) {
          assert.ok(typeof value.type === 'string', `nullable without type at ${where}`);
        }
        for (const [key, child] of Object.entries(value)) {
          walk(child, `${where}/${key}`);
        }
      }
    };
    walk(doc as unknown as Json, '#');
  });

  it('types counts as integer, flags as boolean, instants as date-time and ids as uuid', () => {
    for (const name of ['ProjectListResponse', 'TokenListResponse', 'IssueListResponse']) {
      for (const field of ['total_count', 'offset', 'limit']) {
        assert.equal(property(name, field).type, 'integer', `${name}.${field}`);
      }
    }
    assert.equal(property('ApiErrorResponse', 'statusCode').type, 'integer');
    assert.ok(Array.isArray(property('ApiErrorResponse', 'code').enum));
    assert.equal(property('TokenResponse', 'rate_limit').type, 'integer');
    assert.equal(property('WorkspaceResponse', 'token_limit').type, 'integer');
    for (const field of ['created_at', 'expires_at', 'last_used_at', 'revoked_at']) {
      assert.equal(property('TokenResponse', field).format, 'date-time', field);
    }
    assert.equal(property('ProjectResponse', 'updated_at').format, 'date-time');
    assert.equal(property('TokenResponse', 'id').format, 'uuid');
    assert.equal(property('AuditEventResponse', 'actor_id').format, 'uuid');

    const listTokens = doc.paths['/api/v1/tokens'].get;
    const all = listTokens.parameters?.find((p) => p.name === 'all');
    assert.equal((all?.schema as Schema).type, 'boolean');
    const limit = listTokens.parameters?.find((p) => p.name === 'limit');
    assert.equal((limit?.schema as Schema).type, 'integer');
  });

  it('expresses "expires_in_days or expires_at, one required" and keeps defaulted fields optional', () => {
    const create = schema('CreateTokenRequest');
    assert.deepEqual(create.required, ['name', 'scopes']);
    assert.deepEqual(
      (create.oneOf as Schema[]).map((s) => s.required),
      [['expires_in_days'], ['expires_at']],
    );
    // Generators read `default` as "always present"; request bodies state it in words.
    for (const [name, field] of [
      ['RotateTokenRequest', 'grace_seconds'],
      ['CreateIssueRequest', 'priority'],
      ['CreateUserRequest', 'is_admin'],
    ]) {
      const required = (schema(name).required as string[] | undefined) ?? [];
      assert.ok(!required.includes(field), `${name}.${field} is required`);
      assert.equal(property(name, field).default, undefined, `${name}.${field} has a default`);
      assert.match(property(name, field).description as string, /Default: /);
    }
  });

  it('lists 404 on every route with an id, 415 on JSON bodies, 429 on every rate-limited route', () => {
    for (const { method, path, operation } of eachOperation(doc)) {
      const statuses = Object.keys(operation.responses);
      const where = `${method.toUpperCase()} ${path}`;
      if (!path.startsWith('/api/')) {
        continue;
      }
      if (path.includes('{')) {
        assert.ok(statuses.includes('404'), `${where} lacks 404`);
      }
      const body = operation.requestBody?.content as Record<string, Json> | undefined;
      // A JSON body, or any write of a credential: Fastify reads whatever body a write brings.
      const takesBody =
        body?.['application/json'] !== undefined ||
        (operation.security?.length !== 0 && method !== 'get');
      assert.equal(statuses.includes('415'), takesBody, where);
      assert.equal(statuses.includes('413'), takesBody, where);
      assert.ok(statuses.includes('429'), `${where} lacks 429`);
      const tooMany = operation.responses['429'].headers as Record<string, Json>;
      assert.ok(tooMany['Retry-After'], `${where} 429 lacks Retry-After`);
      if (operation.security?.length === 0) {
        continue; // public: no credential, so no 401 and no credential headers
      }
      const unauthorized = operation.responses['401'].headers as Record<string, Json>;
      assert.ok(unauthorized['WWW-Authenticate'], `${where} 401 lacks WWW-Authenticate`);
      const success = Object.entries(operation.responses).find(([s]) => Number(s) < 300);
      const headers = (success?.[1].headers ?? {}) as Record<string, Json>;
      for (const name of [
        'RateLimit-Limit',
        'X-Quota-Limit',
        'X-Quota-Remaining',
        'X-Quota-Reset',
        'X-Token-Expires-At',
        'Deprecation',
        'Sunset',
        'Cache-Control',
      ]) {
        assert.ok(headers[name], `${where} success lacks ${name}`);
      }
      // 402 only where billing can refuse: writes in a workspace.
      if (statuses.includes('402')) {
        assert.notEqual(method, 'get', `${where} lists 402`);
      }
    }
  });

  it('documents the OAuth endpoints with form bodies and RFC responses', () => {
    for (const path of ['/oauth/token', '/oauth/revoke', '/oauth/introspect']) {
      const operation = doc.paths[path].post;
      const content = operation.requestBody?.content as Record<string, Json>;
      assert.ok(content['application/x-www-form-urlencoded'], `${path} has no form body`);
      assert.ok(operation.responses['400'] && operation.responses['401'], path);
    }
    for (const path of ['/oauth/token', '/oauth/revoke', '/oauth/introspect']) {
      const ok = doc.paths[path].post.responses['200'].headers as Record<string, Json>;
      assert.ok(ok['Cache-Control'] && ok['Pragma'], `${path} 200 lacks Cache-Control/Pragma`);
    }
    const token = doc.paths['/oauth/token'].post.responses['200'].content as Record<string, Schema>;
    assert.deepEqual(token['application/json'].schema, {
      $ref: '#/components/schemas/OAuthTokenResponse',
    });
    assert.ok(doc.paths['/oauth/authorize'].get.parameters?.some((p) => p.name === 'state'));
  });
});
