import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-http-bearer';
import { AuthPrincipal } from '../auth-types';
import { OAuthAccessTokenVerifier } from '../../oauth/oauth-access-token.verifier';
import { TokenVerifier } from '../../tokens/token-verifier.service';

/** `Authorization: Bearer <token>`: API tokens (SPEC §4.1) and OAuth access tokens (§9). */
@Injectable()
export class BearerStrategy extends PassportStrategy(Strategy, 'tessera-bearer') {
  constructor(
    private readonly verifier: TokenVerifier,
    private readonly oauth: OAuthAccessTokenVerifier,
  ) {
    super();
  }

  validate(token: string): Promise<AuthPrincipal> {
    if (this.oauth.isAccessToken(token)) {
      return this.oauth.verify(token);
    }
    return this.verifier.verify(token, 'bearer');
  }
}
