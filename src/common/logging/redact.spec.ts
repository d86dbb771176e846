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
});
