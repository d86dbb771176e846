import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  basicAuthOf,
  redactWebhookUrl,
  shownWebhookUrl,
  splitWebhookUrl,
  withPassword,
} from './webhook-url';

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

describe('splitWebhookUrl (the password is stored apart, sealed)', () => {
  it('takes the password off the user-info and keeps the user name', () => {
    assert.deepEqual(splitWebhookUrl('http://user:pw@host/x'), {
      url: 'http://user@host/x',
      password: 'pw',
    });
    assert.deepEqual(splitWebhookUrl('https://hook%40ci:p%3Ass%2Fw@hooks.example.com:8443/a?b=c'), {
      url: 'https://hook%40ci@hooks.example.com:8443/a?b=c',
      password: 'p%3Ass%2Fw',
    });
    assert.deepEqual(splitWebhookUrl('http://:secret@[::1]:9/'), {
      url: 'http://[::1]:9/',
      password: 'secret',
    });
    assert.deepEqual(splitWebhookUrl('http://u:***@host/'), {
      url: 'http://u@host/',
      password: '***',
    });
    assert.deepEqual(splitWebhookUrl('http://u:%2A%2A%2A@host/'), {
      url: 'http://u@host/',
      password: '%2A%2A%2A',
    });
  });

  it('keeps a URL without a password exactly as given', () => {
    for (const url of ['https://hooks.example.com/t', 'http://user@host/x', 'HTTP://Host/a@b']) {
      assert.deepEqual(splitWebhookUrl(url), { url, password: null });
    }
  });

  it('gives the URL back whole with withPassword, and shown with ***', () => {
    for (const raw of [
      'http://user:pw@host/x',
      'https://hook%40ci:p%3Ass%2Fw@hooks.example.com:8443/a?b=c',
      'http://:secret@[::1]:9/',
    ]) {
      const { url, password } = splitWebhookUrl(raw);
      assert.equal(withPassword(url, password as string).toString(), raw);
      assert.equal(shownWebhookUrl(url, true), redactWebhookUrl(raw));
    }
    assert.equal(basicAuthOf(withPassword('http://hook%40ci@host/', 'p%3Ass')), 'hook@ci:p:ss');
  });

  it('shows a stored URL without a sealed password as it is, redacted if it still holds one', () => {
    assert.equal(shownWebhookUrl('HTTP://Host', false), 'HTTP://Host');
    assert.equal(shownWebhookUrl('http://user:pw@host/x', false), 'http://user:***@host/x');
  });
});
