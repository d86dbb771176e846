import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redactUrl } from './redact';

describe('redactUrl', () => {
  it('leaves URLs without a query alone', () => {
    assert.equal(redactUrl('/api/v1/issues'), '/api/v1/issues');
  });

  it('redacts the key parameter wherever it stands', () => {
    assert.equal(
      redactUrl('/api/v1/issues?project_id=1&key=ts_secret&limit=5'),
      '/api/v1/issues?project_id=1&key=[REDACTED]&limit=5',
    );
    assert.equal(redactUrl('/x?key=ts_secret'), '/x?key=[REDACTED]');
  });

  it('redacts encoded and differently-cased names', () => {
    assert.equal(redactUrl('/x?%6Bey=abc'), '/x?%6Bey=[REDACTED]');
    assert.equal(redactUrl('/x?KEY=abc'), '/x?KEY=[REDACTED]');
    assert.equal(redactUrl('/x?access_token=abc'), '/x?access_token=[REDACTED]');
  });

  it('keeps other parameters', () => {
    assert.equal(redactUrl('/x?keys=1&monkey=2'), '/x?keys=1&monkey=2');
  });

  it('redacts the names other APIs use for secrets', () => {
    for (const name of ['api_key', 'private_token', 'token', 'apikey', 'password', 'secret']) {
      assert.equal(redactUrl(`/x?a=1&${name}=abc`), `/x?a=1&${name}=[REDACTED]`, name);
    }
  });

  it('redacts anything shaped like a token, in any parameter or in the path', () => {
    // Shaped like an API token (ts_ and an earlier acme_ prefix) and an OAuth access token.
    const token = 'ts_4fHq9ZkP2mXw7RtB1yLc8NvD3sJe6A0g';
    const earlier = 'acme_Q2w3E4r5T6y7U8i9O0pAsDfGhJkLzXcV';
    const oauth = 'tso_9aZ8bY7cX6dW5eV4fU3gT2hS1iR0jQkPlOmNnMoL';
    assert.equal(redactUrl(`/x?q=${token}`), '/x?q=[REDACTED]');
    assert.equal(redactUrl(`/x?filter=a+${earlier}&b=2`), '/x?filter=a+[REDACTED]&b=2');
    assert.equal(redactUrl(`/api/v1/tokens/${oauth}`), '/api/v1/tokens/[REDACTED]');
    assert.equal(
      redactUrl(`/api/v1/x/${token}?key=${token}`),
      '/api/v1/x/[REDACTED]?key=[REDACTED]',
    );
    for (const url of [`/x?q=${token}`, `/y/${oauth}`]) {
      assert.ok(!redactUrl(url).includes(url.slice(-20)), 'no tail of the secret is left');
    }
    // Ids, words and short values stay.
    const id = '0b9c6a8e-5a7e-4d0a-9d43-0f5a3f1c2b7d';
    assert.equal(redactUrl(`/api/v1/projects/${id}?state=all`), `/api/v1/projects/${id}?state=all`);
    assert.equal(redactUrl('/x?sort=created_at'), '/x?sort=created_at');
  });
});
