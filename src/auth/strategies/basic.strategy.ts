import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { BasicStrategy as Strategy } from 'passport-http';
import { AuthPrincipal } from '../../common/auth-types';
import { TokenVerifier } from '../../tokens/token-verifier.service';
import { CredentialRequest } from '../credentials';
import { PasswordAuthenticator } from '../password-authenticator.service';

/**
 * HTTP Basic (SPEC §4.4): `anyuser:<token>` authenticates with the token, whatever the user
 * part says (as Redmine does); otherwise `username:password`.
 */
@Injectable()
export class BasicStrategy extends PassportStrategy(Strategy, 'tessera-basic') {
  constructor(
    private readonly verifier: TokenVerifier,
    private readonly passwords: PasswordAuthenticator,
  ) {
    super({ passReqToCallback: true });
  }

  validate(req: CredentialRequest, username: string, password: string): Promise<AuthPrincipal> {
    if (this.verifier.isToken(password)) {
      return this.verifier.verify(password, 'basic_token', req.ip);
    }
    return this.passwords.authenticate(username, password);
  }
}
