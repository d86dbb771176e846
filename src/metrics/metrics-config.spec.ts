import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FastifyRequest } from 'fastify';
import { ConfigError, loadConfig } from '../config/app-config';
import { ApiError } from '../common/errors/api-error';
import { errorCodeOf, presentedKind } from './auth-outcome';

function problems(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.message;
  }
  assert.fail(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('METRICS_ENABLED and METRICS_TOKEN', () => {
  it('are off and unset by default', () => {
    assert.deepEqual(loadConfig({}).metrics, { enabled: false, token: null });
  });

  it('take true/false and a token of 16-256 printable characters', () => {
    const token = 'a'.repeat(16);
    assert.deepEqual(loadConfig({ METRICS_ENABLED: 'true', METRICS_TOKEN: token }).metrics, {
      enabled: true,
      token,
    });
    assert.equal(loadConfig({ METRICS_ENABLED: 'false' }).metrics.enabled, false);
    assert.match(problems({ METRICS_ENABLED: 'yes' }), /METRICS_ENABLED must be true or false/);
    for (const bad of ['short', 'with a space in it!', 'x'.repeat(257)]) {
      const message = problems({ METRICS_TOKEN: bad });
      assert.match(message, /METRICS_TOKEN must be 16-256 printable characters/);
      assert.ok(!message.includes(bad), 'the rejected token is not echoed');
    }
  });

  it('reads METRICS_TOKEN_FILE like the other secrets', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-metrics-'));
    try {
      const file = join(dir, 'metrics-token');
      writeFileSync(file, '0123456789abcdef0123\n');
      assert.equal(loadConfig({ METRICS_TOKEN_FILE: file }).metrics.token, '0123456789abcdef0123');
      assert.match(
        problems({ METRICS_TOKEN_FILE: file, METRICS_TOKEN: 'x'.repeat(20) }),
        /METRICS_TOKEN and METRICS_TOKEN_FILE are both set/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the labels of a refused authentication', () => {
  const request = (headers: Record<string, string>): FastifyRequest =>
    ({ headers }) as unknown as FastifyRequest;

  it('name the kind of credential presented, never its value', () => {
    assert.equal(presentedKind(request({}), 'missing_credentials'), 'none');
    assert.equal(
      presentedKind(request({ authorization: 'Bearer ts_x' }), 'invalid_token'),
      'bearer',
    );
    assert.equal(
      presentedKind(request({ authorization: 'Basic eDp5' }), 'invalid_credentials'),
      'basic',
    );
    assert.equal(
      presentedKind(request({ authorization: 'Digest x' }), 'invalid_credentials'),
      'other',
    );
    assert.equal(presentedKind(request({ 'x-redmine-api-key': 'k' }), 'invalid_token'), 'api_key');
    assert.equal(presentedKind(request({ 'x-auth-user': 'u' }), 'invalid_credentials'), 'legacy');
    assert.equal(presentedKind(request({}), 'invalid_token'), 'query_key');
    assert.equal(
      presentedKind(
        request({ authorization: 'Bearer a', 'x-api-key': 'b' }),
        'ambiguous_credentials',
      ),
      'multiple',
    );
  });

  it('use an ApiError’s code, and `error` for anything else', () => {
    assert.equal(errorCodeOf(new ApiError(401, 'token_expired', 'expired')), 'token_expired');
    assert.equal(errorCodeOf(new Error('database gone')), 'error');
  });
});
