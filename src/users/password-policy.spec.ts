import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../config/app-config';
import { ApiError } from '../common/errors/api-error';
import { assertAcceptablePassword, isCommonPassword, passwordProblem } from './password-policy';

describe('the shipped list of common passwords', () => {
  it('holds tens of thousands of passwords and refuses them in any case', () => {
    for (const common of ['password', 'qwerty123456', '1q2w3e4r5t6y', 'QAZWSXEDCRFV', 'iloveyou']) {
      assert.equal(isCommonPassword(common), true, common);
    }
  });

  it('refuses a listed password repeated, or followed by digits and punctuation', () => {
    for (const weak of [
      'qwertyqwerty',
      'aaaaaaaaaaaa',
      '123123123123',
      'Sunshine2024!',
      'dragon12345678',
    ]) {
      assert.equal(isCommonPassword(weak), true, weak);
    }
  });

  it('accepts passwords that are not common', () => {
    for (const fine of [
      'correct horse battery staple',
      'pw-3f9a1c77b2e04d18',
      'Tessera rides at dawn',
    ]) {
      assert.equal(isCommonPassword(fine), false, fine);
    }
  });
});

describe('assertAcceptablePassword', () => {
  it('throws 400 validation_failed with the field named', () => {
    assert.throws(
      () => assertAcceptablePassword('password1234', 'new_password'),
      (error: unknown) => {
        assert.ok(error instanceof ApiError);
        assert.equal(error.status, 400);
        assert.equal(error.code, 'validation_failed');
        assert.equal(error.details?.[0].field, 'new_password');
        assert.match(error.details?.[0].message ?? '', /common passwords/);
        return true;
      },
    );
  });

  it('refuses the account’s own login or e-mail', () => {
    assert.match(
      String(passwordProblem('Jane.Doe.1984', { username: 'jane.doe.1984' })),
      /username or e-mail/,
    );
    assert.match(
      String(passwordProblem('jane@example.test', { email: 'jane@example.test' })),
      /username or e-mail/,
    );
    assert.equal(passwordProblem('a fine long passphrase', { username: 'jane' }), null);
    assert.doesNotThrow(() => assertAcceptablePassword('a fine long passphrase'));
  });

  it('stops the start when ADMIN_PASSWORD is a common password', () => {
    assert.throws(
      () => loadConfig({ ADMIN_PASSWORD: 'qwerty123456' }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.problems.some((p) => p.startsWith('ADMIN_PASSWORD is on the list of common')),
    );
    assert.equal(
      loadConfig({ ADMIN_PASSWORD: 'not-on-any-list-42' }).admin.password,
      'not-on-any-list-42',
    );
  });
});
