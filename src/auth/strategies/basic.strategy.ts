import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-custom';
import { AuthPrincipal } from '../../common/auth-types';
import { AuthErrors } from '../../common/errors/auth-errors';
import { SettingsService } from '../../settings/settings.service';
import { TokenVerifier } from '../../tokens/token-verifier.service';
import { CredentialRequest } from '../credentials';
import { PasswordAuthenticator } from '../password-authenticator.service';

/**
 * HTTP Basic (SPEC §4.4): `anyuser:<token>` authenticates with the token, whatever the user
 * part says (as Redmine does); otherwise `username:password`, while the admin allows it.
 */
@Injectable()
export class BasicStrategy extends PassportStrategy(Strategy, 'tessera-basic') {
  constructor(
    private readonly verifier: TokenVerifier,
    private readonly passwords: PasswordAuthenticator,
    private readonly settings: SettingsService,
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
    if (!(await this.settings.get()).allowBasicPassword) {
      throw AuthErrors.basicPasswordDisabled();
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
  return username && password ? [username, password] : null;
}
