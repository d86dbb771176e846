import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { HeaderAPIKeyStrategy } from 'passport-headerapikey';
import { AuthPrincipal } from '../auth-types';
import { TokenVerifier } from '../../tokens/token-verifier.service';

/** `X-API-Key: <token>` and its Redmine alias `X-Redmine-API-Key` (SPEC §4.2). */
@Injectable()
export class ApiKeyStrategy extends PassportStrategy(HeaderAPIKeyStrategy, 'tessera-api-key') {
  constructor(private readonly verifier: TokenVerifier) {
    // The authenticator hands both headers to this strategy as x-api-key.
    super({ header: 'x-api-key', prefix: '' }, false);
  }

  validate(apiKey: string): Promise<AuthPrincipal> {
    return this.verifier.verify(apiKey, 'api_key');
  }
}
