import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OAuthSecrets } from '../oauth/oauth-constants';
import { TokenFormat } from '../tokens/token-format';
import { auditedLogin, looksLikeSecret, REDACTED_LOGIN, UNKNOWN_LOGIN } from './audited-login';

describe('auditedLogin', () => {
  const format = new TokenFormat('ts_');
  const alice = { username: 'alice' };

  it('redacts every secret Tessera issues, whole or mistyped, whoever it names', () => {
    const apiToken = format.generate();
    const secrets = [
      apiToken,
      apiToken.slice(0, -1),
      `${apiToken}x`,
      OAuthSecrets.accessToken(),
      OAuthSecrets.refreshToken(),
      OAuthSecrets.clientSecret(),
      OAuthSecrets.authorizationCode(),
    ];
    for (const secret of secrets) {
      assert.equal(looksLikeSecret(secret, 'ts_'), true, secret);
      assert.equal(auditedLogin(secret, null, 'ts_'), REDACTED_LOGIN);
      assert.equal(auditedLogin(secret, alice, 'ts_'), REDACTED_LOGIN);
    }
  });

  it('follows a custom TOKEN_PREFIX', () => {
    const token = new TokenFormat('acme_').generate();
    assert.equal(auditedLogin(token, null, 'acme_'), REDACTED_LOGIN);
  });

  it('stores only an existing user, as that user’s username however the login was typed', () => {
    assert.equal(auditedLogin('alice', alice, 'ts_'), 'alice');
    assert.equal(auditedLogin('Alice@Example.test', alice, 'ts_'), 'alice');
    assert.equal(auditedLogin('correct horse battery staple', null, 'ts_'), UNKNOWN_LOGIN);
    assert.equal(auditedLogin('ghost-login', null, 'ts_'), UNKNOWN_LOGIN);
  });

  it('does not take ordinary logins for secrets', () => {
    for (const login of [
      'ts_bob',
      'tso_admin',
      'alice',
      'build-bot-2024',
      'a.long.name@example.com',
    ]) {
      assert.equal(looksLikeSecret(login, 'ts_'), false, login);
    }
  });
});
