import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-custom';
import { AuthPrincipal } from '../auth-types';
import { AuthErrors } from '../auth-errors';
import { SettingsService } from '../../settings/settings.service';
import { CredentialRequest } from '../credentials';
import { PasswordAuthenticator } from '../password-authenticator.service';

/**
 * Legacy `X-AUTH-USER` + `X-AUTH-TOKEN` API passwords (SPEC §4.5), accepted while the admin
 * keeps them enabled and before their sunset date.
 */
@Injectable()
export class LegacyStrategy extends PassportStrategy(Strategy, 'tessera-legacy') {
  constructor(
    private readonly passwords: PasswordAuthenticator,
    private readonly settings: SettingsService,
  ) {
    super();
  }

  async validate(req: CredentialRequest): Promise<AuthPrincipal> {
    const settings = await this.settings.get();
    if (!settings.legacyAuthEnabled) {
      throw AuthErrors.legacyRemoved('disabled');
    }
    if (settings.legacyAuthSunsetAt && settings.legacyAuthSunsetAt.getTime() <= Date.now()) {
      throw AuthErrors.legacyRemoved('sunset');
    }
    return this.passwords.authenticateLegacy(
      req.headers['x-auth-user'],
      req.headers['x-auth-token'],
      {
        ip: req.ip,
        userAgent: req.userAgent,
      },
    );
  }
}
