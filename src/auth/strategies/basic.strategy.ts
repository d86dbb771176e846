import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-custom';
import { AuthErrors } from '../auth-errors';
import { AuthPrincipal } from '../auth-types';
import { ApiError } from '../../common/errors/api-error';
import { FailedAuthLimiter } from '../../rate-limit/failed-auth.limiter';
import { TokenVerifier } from '../../tokens/token-verifier.service';
import { CredentialRequest, decodeBasic } from '../credentials';
import { PasswordAuthenticator } from '../password-authenticator.service';

/**
 * HTTP Basic (SPEC §4.4): `anyuser:<token>` authenticates with the token, whatever the user
 * part says, and so does Redmine's `<token>:anything`; otherwise `username:password`. Whether
 * passwords are allowed (admin setting) is decided by the Authenticator, which knows the route, and
 * handed over in `req.basicPassword`.
 */
@Injectable()
export class BasicStrategy extends PassportStrategy(Strategy, 'tessera-basic') {
  constructor(
    private readonly verifier: TokenVerifier,
    private readonly passwords: PasswordAuthenticator,
  ) {
    super();
  }

  async validate(req: CredentialRequest): Promise<AuthPrincipal | null> {
    // The authenticator handed us a well-formed `Basic <value>` header.
    const value = req.headers.authorization.slice(req.headers.authorization.indexOf(' ') + 1);
    const pair = decodeBasic(value);
    if (!pair) {
      return null; // unreadable: the authenticator answers invalid_credentials
    }
    const [username, password] = pair;
    // Any user part, an empty one (`curl -u :$TOKEN`) included.
    if (this.verifier.isToken(password)) {
      return this.verifier.verify(password, 'basic_token');
    }
    // Redmine scripts send `curl -u $KEY:` (the key as user name, any or no password).
    if (this.verifier.isToken(username)) {
      return this.verifier.verify(username, 'basic_token');
    }
    if (!username) {
      return null; // no user name and no token: invalid_credentials
    }
    // Switched off: refused before the password is looked at, so that the answer is the same
    // for a right and a wrong one.
    if (req.basicPassword === 'off') {
      throw FailedAuthLimiter.counted(AuthErrors.basicPasswordDisabled());
    }
    if (!password) {
      return null;
    }
    const attempt = { ip: req.ip, userAgent: req.userAgent, via: 'basic_password' as const };
    if (req.basicPassword === 'allowed') {
      return this.passwords.authenticate(username, password, attempt);
    }
    // Only an admin's password, on the settings route: everything else — a wrong password, or
    // anyone else's right one — gets the same refusal.
    return this.passwords
      .authenticate(username, password, { ...attempt, accept: (user) => user.isAdmin })
      .catch((error: unknown) => {
        throw error instanceof ApiError && error.code === 'invalid_credentials'
          ? FailedAuthLimiter.counted(AuthErrors.basicPasswordDisabled())
          : error;
      });
  }
}
