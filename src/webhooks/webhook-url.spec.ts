import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { basicAuthOf, redactWebhookUrl } from './webhook-url';

describe('redactWebhookUrl (SPEC §1: no passwords in responses)', () => {
  it('hides the password and keeps the user name', () => {
    assert.equal(redactWebhookUrl('http://user:pw@host/x'), 'http://user:***@host/x');
    assert.equal(
      redactWebhookUrl('https://hook%40ci:p%3Ass%2Fw@hooks.example.com:8443/a?b=c#d'),
      'https://hook%40ci:***@hooks.example.com:8443/a?b=c#d',
    );
    assert.equal(redactWebhookUrl('http://:secret@[::1]:9/'), 'http://:***@[::1]:9/');
  });

  it('returns a URL without a password exactly as given', () => {
    for (const url of ['https://hooks.example.com/tessera', 'http://user@host/x', 'HTTP://Host']) {
      assert.equal(redactWebhookUrl(url), url);
    }
  });
});

describe('basicAuthOf', () => {
  it('decodes the user-info for the Basic credentials', () => {
    assert.equal(basicAuthOf(new URL('http://user:pw@host/x')), 'user:pw');
    assert.equal(basicAuthOf(new URL('http://hook%40ci:p%3Ass@host/')), 'hook@ci:p:ss');
    assert.equal(basicAuthOf(new URL('http://user@host/')), 'user:');
    assert.equal(basicAuthOf(new URL('http://u:%zz%FF@host/')), 'u:%zz%FF');
    assert.equal(basicAuthOf(new URL('http://host/')), undefined);
  });
});
