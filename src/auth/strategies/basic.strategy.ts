import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-custom';
import { AuthPrincipal } from '../../common/auth-types';
import { TokenVerifier } from '../../tokens/token-verifier.service';
import { CredentialRequest } from '../credentials';
import { PasswordAuthenticator } from '../password-authenticator.service';

/**
 * HTTP Basic (SPEC §4.4): `anyuser:<token>` authenticates with the token, whatever the user
 * part says, and so does Redmine's `<token>:anything`; otherwise `username:password`. Whether
 * passwords are allowed (admin setting) is decided by the Authenticator, which knows the route.
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
    const pair = basicPair(req.headers.authorization);
    if (!pair) {
      return null; // unreadable: the authenticator answers invalid_credentials
    }
    const [username, password] = pair;
    if (this.verifier.isToken(password)) {
      return this.verifier.verify(password, 'basic_token');
    }
    if (this.verifier.isToken(username)) {
      return this.verifier.verify(username, 'basic_token');
    }
    return this.passwords.authenticate(username, password);
  }
}

/**
 * `Basic base64(user-id:password)`, split at the first colon (RFC 7617: only the user-id cannot
 * hold one). passport-http split at every colon and cut such passwords short.
 */
function basicPair(header: string | undefined): [string, string] | null {
  const match = /^basic\s+(\S+)$/i.exec(header ?? '');
  if (!match) {
    return null;
  }
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const username = colon === -1 ? '' : decoded.slice(0, colon);
  const password = colon === -1 ? '' : decoded.slice(colon + 1);
  if (!username) {
    return null;
  }
  // Redmine scripts send `curl -u $KEY:` (the key as user name, any or no password).
  return password || /^[a-z][a-z0-9]*_[0-9A-Za-z]{32}$/.test(username)
    ? [username, password]
    : null;
}
