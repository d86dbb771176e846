import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-http-bearer';
import { AuthPrincipal } from '../../common/auth-types';
import { TokenVerifier } from '../../tokens/token-verifier.service';
import { CredentialRequest } from '../credentials';

/** `Authorization: Bearer <token>` (SPEC §4.1). */
@Injectable()
export class BearerStrategy extends PassportStrategy(Strategy, 'tessera-bearer') {
  constructor(private readonly verifier: TokenVerifier) {
    super({ passReqToCallback: true });
  }

  validate(req: CredentialRequest, token: string): Promise<AuthPrincipal> {
    return this.verifier.verify(token, 'bearer', req.ip);
  }
}
