import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { AuthMethod, AuthPrincipal, SCOPES } from './auth-types';
import { AuthErrors } from './auth-errors';
import { User } from '../users/entities/user.entity';
import { PasswordVerificationCache } from './password-verification-cache';
import { loginKey } from '../users/login-key';

// Verified against when the user does not exist, so that unknown and known usernames cost the
// same time (no user enumeration by timing).
const DUMMY_HASH =
  '$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$9sTbSlTio3Biev89thdrlKKiCaYsjjYVJxGAL3swxpg';

/** Username (or e-mail) and password, or a legacy API password; for HTTP Basic and the login page. */
@Injectable()
export class PasswordAuthenticator {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly cache: PasswordVerificationCache,
  ) {}

  /** The account password (HTTP Basic, the login page). */
  async authenticate(login: string, password: string): Promise<AuthPrincipal> {
    const user = await this.findUser(login, 'passwordHash');
    return this.check(user, user?.passwordHash, password, 'basic_password');
  }

  /** The legacy API password of X-AUTH-USER / X-AUTH-TOKEN (SPEC §4.5). */
  async authenticateLegacy(username: string, apiPassword: string): Promise<AuthPrincipal> {
    const user = await this.findUser(username, 'legacyApiPasswordHash');
    return this.check(user, user?.legacyApiPasswordHash, apiPassword, 'legacy_api_password');
  }

  private async check(
    user: User | null,
    storedHash: string | null | undefined,
    password: string,
    method: AuthMethod,
  ): Promise<AuthPrincipal> {
    const valid = await this.cache.verify(storedHash ?? DUMMY_HASH, password);
    if (!user || !storedHash || !valid) {
      throw AuthErrors.invalidCredentials();
    }
    if (user.status !== 'active') {
      throw AuthErrors.lockedAccount();
    }
    return {
      user: { id: user.id, username: user.username, email: user.email, isAdmin: user.isAdmin },
      method,
      tokenId: null,
      scopes: [...SCOPES],
      tokenWorkspaceId: null,
      expiresAt: null,
      impersonatedBy: null,
      twoFactorEnabled: user.totpEnabledAt !== null,
    };
  }

  private findUser(
    login: string,
    secret: 'passwordHash' | 'legacyApiPasswordHash',
  ): Promise<User | null> {
    if (login.length === 0 || login.length > 255) {
      return Promise.resolve(null);
    }
    return this.users.findOne({
      where: login.includes('@') ? { email: login.toLowerCase() } : { loginKey: loginKey(login) },
      select: {
        id: true,
        username: true,
        email: true,
        isAdmin: true,
        status: true,
        totpEnabledAt: true,
        [secret]: true,
      },
    });
  }
}
