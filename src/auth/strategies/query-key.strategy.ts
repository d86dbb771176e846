import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-custom';
import { AuthPrincipal } from '../auth-types';
import { AuthErrors } from '../auth-errors';
import { SettingsService } from '../../settings/settings.service';
import { TokenVerifier } from '../../tokens/token-verifier.service';
import { CredentialRequest } from '../credentials';

/** `?key=<token>` (SPEC §4.3), while the admin setting allow_query_key is on. Discouraged. */
@Injectable()
export class QueryKeyStrategy extends PassportStrategy(Strategy, 'tessera-query-key') {
  constructor(
    private readonly verifier: TokenVerifier,
    private readonly settings: SettingsService,
  ) {
    super();
  }

  async validate(req: CredentialRequest): Promise<AuthPrincipal> {
    if (!(await this.settings.get()).allowQueryKey) {
      throw AuthErrors.queryKeyDisabled();
    }
    return this.verifier.verify(req.query.key ?? '', 'query_key');
  }
}
