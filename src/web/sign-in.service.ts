import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { AuthErrors } from '../auth/auth-errors';
import { AuthPrincipal } from '../auth/auth-types';
import { PasswordAuthenticator } from '../auth/password-authenticator.service';
import { ApiError } from '../common/errors/api-error';
import { RequestMeta } from '../common/http/request-meta.decorator';
import { FailedAuthLimiter } from '../rate-limit/failed-auth.limiter';
import { TwoFactorService } from '../users/two-factor.service';

export interface SignInAttempt {
  login: string;
  password: string;
  /** The TOTP code, '' when the form had none. */
  code: string;
}

export interface SignInRefusal {
  kind: 'refused';
  status: number;
  /** A sentence for the sign-in form. */
  message: string;
  /** Show the two-factor code field. */
  needCode: boolean;
  /** Retry-After and the like, on a 429. */
  headers: Record<string, string>;
}

export type SignInResult = { kind: 'signed_in'; principal: AuthPrincipal } | SignInRefusal;

/**
 * The /login form's decision (SPEC §10): password, then the TOTP code of a user with 2FA, under
 * the same per-address and per-account limits on failed guesses as the API; audited.
 */
@Injectable()
export class SignInService {
  constructor(
    private readonly passwords: PasswordAuthenticator,
    private readonly twoFactor: TwoFactorService,
    private readonly audit: AuditService,
    private readonly failedAuth: FailedAuthLimiter,
  ) {}

  async signIn(attempt: SignInAttempt, meta: RequestMeta): Promise<SignInResult> {
    const address = FailedAuthLimiter.address(meta.ip);
    const refused = (status: number, message: string, needCode = false): SignInRefusal => ({
      kind: 'refused',
      status,
      message,
      needCode,
      headers: {},
    });
    // The limiter's 429 keeps its headers; the code field stays if the user was sending one.
    const tooMany = (error: ApiError): SignInRefusal => ({
      ...refused(429, error.message, attempt.code !== ''),
      headers: error.headers,
    });
    const blocked = await this.blocked(address);
    if (blocked) {
      return tooMany(blocked);
    }

    let principal: AuthPrincipal;
    try {
      principal = await this.passwords.authenticate(attempt.login, attempt.password);
    } catch (error) {
      if (!(error instanceof ApiError) || error.code !== 'invalid_credentials') {
        throw error;
      }
      const limited = await this.countFailure(error, address);
      if (limited) {
        return tooMany(limited);
      }
      await this.audit.record({
        action: 'auth.failed',
        actor: null,
        ip: meta.ip,
        userAgent: meta.userAgent,
        metadata: { method: 'web_login', login: attempt.login.slice(0, 100) },
      });
      return refused(
        401,
        error.message.includes('locked') ? error.message : 'The username or password is wrong.',
      );
    }

    if (principal.twoFactorEnabled) {
      if (!attempt.code) {
        return refused(401, 'Enter the 6-digit code from your authenticator app.', true);
      }
      const account = FailedAuthLimiter.account(principal.user.id);
      const accountBlocked = await this.blocked(account);
      if (accountBlocked) {
        return tooMany(accountBlocked);
      }
      if (!(await this.twoFactor.verifyUserCode(principal.user.id, attempt.code, meta))) {
        const limited = await this.countFailure(AuthErrors.invalidCredentials(), address, account);
        return limited
          ? tooMany(limited)
          : refused(401, 'The two-factor code is wrong or expired.', true);
      }
    }
    await this.audit.record({
      action: 'web.login',
      actor: principal,
      targetType: 'user',
      targetId: principal.user.id,
      ip: meta.ip,
      userAgent: meta.userAgent,
    });
    return { kind: 'signed_in', principal };
  }

  /** Audits the end of a signed-in session (the controller drops the cookie). */
  async signedOut(userId: string, meta: RequestMeta): Promise<void> {
    await this.audit.record({
      action: 'web.logout',
      actor: null,
      targetType: 'user',
      targetId: userId,
      ip: meta.ip,
      userAgent: meta.userAgent,
    });
  }

  /** The limiter's refusal while `subject` is blocked, else null. */
  private async blocked(subject: string): Promise<ApiError | null> {
    try {
      await this.failedAuth.assertAllowed(subject);
      return null;
    } catch (error) {
      if (error instanceof ApiError) {
        return error;
      }
      throw error;
    }
  }

  /** Counts a wrong guess; the limiter's 429 once `subjects` had too many, else null. */
  private async countFailure(error: ApiError, ...subjects: string[]): Promise<ApiError | null> {
    const refusal = await this.failedAuth.countFailure(error, ...subjects);
    return refusal instanceof ApiError && refusal.code === 'rate_limited' ? refusal : null;
  }
}
