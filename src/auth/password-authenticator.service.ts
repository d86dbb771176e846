import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { auditedLogin } from '../audit/audited-login';
import { AuditService } from '../audit/audit.service';
import { FailedAuthLimiter, ReservedAttempt } from '../rate-limit/failed-auth.limiter';
import { TokenFormat } from '../tokens/token-format';
import { AuthMethod, AuthPrincipal, SCOPES } from './auth-types';
import { AuthErrors } from './auth-errors';
import { User } from '../users/entities/user.entity';
import { PasswordVerificationCache } from './password-verification-cache';
import { loginKey } from '../users/login-key';

// Verified against when the user does not exist, so that unknown and known usernames cost the
// same time (no user enumeration by timing).
const DUMMY_HASH =
  '$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$9sTbSlTio3Biev89thdrlKKiCaYsjjYVJxGAL3swxpg';

/** Who is trying a password, from where: for the failed-authentication limits and the audit. */
export interface PasswordAttempt {
  ip: string;
  userAgent?: string;
  /**
   * Only these users may sign in this way here (an admin's password on the settings route while
   * passwords are switched off); anyone else fails exactly like a wrong password.
   */
  accept?: (user: { isAdmin: boolean }) => boolean;
}

/** Where an account password was sent: HTTP Basic or the login page. */
export type PasswordChannel = 'basic_password' | 'web_login';

/**
 * Username (or e-mail) and password, or a legacy API password; for HTTP Basic, X-AUTH-* and the
 * login page. Every attempt is counted against the client address and the named account
 * *before* the password is verified (SPEC §12), and given back when it was right; a wrong one is
 * audited as auth.failed.
 */
@Injectable()
export class PasswordAuthenticator {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly cache: PasswordVerificationCache,
    private readonly limiter: FailedAuthLimiter,
    private readonly audit: AuditService,
    private readonly tokenFormat: TokenFormat,
  ) {}

  /** The account password (HTTP Basic, the login page). */
  authenticate(
    login: string,
    password: string,
    attempt: PasswordAttempt & { via: PasswordChannel },
  ): Promise<AuthPrincipal> {
    return this.check(login, password, 'passwordHash', attempt, attempt.via);
  }

  /** The legacy API password of X-AUTH-USER / X-AUTH-TOKEN (SPEC §4.5). */
  authenticateLegacy(
    username: string,
    apiPassword: string,
    attempt: PasswordAttempt,
  ): Promise<AuthPrincipal> {
    return this.check(
      username,
      apiPassword,
      'legacyApiPasswordHash',
      attempt,
      'legacy_api_password',
    );
  }

  private async check(
    login: string,
    password: string,
    secret: 'passwordHash' | 'legacyApiPasswordHash',
    attempt: PasswordAttempt,
    via: PasswordChannel | 'legacy_api_password',
  ): Promise<AuthPrincipal> {
    // Counted before anything is looked up or verified: a blocked address costs no query and no
    // KDF, and parallel requests cannot verify more than the limit between them.
    const byAddress = await this.limiter.reserve(FailedAuthLimiter.address(attempt.ip));
    let byAccount: ReservedAttempt | null = null;
    let user: User | null;
    try {
      user = await this.findUser(login, secret);
      if (user) {
        // Only existing accounts get a counter; unknown logins count toward the address alone.
        byAccount = await this.limiter.reserve(FailedAuthLimiter.account(user.id));
      }
    } catch (error) {
      await byAddress.release();
      throw error;
    }
    const storedHash = user?.[secret];
    const valid = await this.cache.verify(storedHash ?? DUMMY_HASH, password);
    // A locked account, or one this route does not accept, answers exactly like a wrong password:
    // the answer never tells whether the password was right.
    if (
      !user ||
      !storedHash ||
      !valid ||
      user.status !== 'active' ||
      (attempt.accept && !attempt.accept(user))
    ) {
      await this.audit.record({
        action: 'auth.failed',
        actor: null,
        ip: attempt.ip,
        userAgent: attempt.userAgent,
        metadata: { method: via, login: auditedLogin(login, user, this.tokenFormat.prefix) },
      });
      throw FailedAuthLimiter.counted(AuthErrors.invalidCredentials());
    }
    await byAddress.release();
    await byAccount?.release();
    const method: AuthMethod = via === 'web_login' ? 'basic_password' : via;
    return {
      user: {
        id: user.id,
        username: user.username,
        email: user.email,
        isAdmin: user.isAdmin,
        type: user.type,
      },
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
        type: true,
        totpEnabledAt: true,
        [secret]: true,
      },
    });
  }
}
