import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { AuthPrincipal } from '../auth/auth-types';
import { PasswordAuthenticator } from '../auth/password-authenticator.service';
import { ApiError, ErrorCode } from '../common/errors/api-error';
import { errorCodeOf } from '../metrics/auth-outcome';
import { Metrics } from '../metrics/metrics.service';
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
  /** The refusal's error code, for the auth-outcome metric. */
  code: ErrorCode;
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
    private readonly metrics: Metrics,
  ) {}

  /** The decision, counted in tessera_auth_outcomes_total as method `web_login`. */
  async signIn(attempt: SignInAttempt, meta: RequestMeta): Promise<SignInResult> {
    const result = await this.decide(attempt, meta).catch((error: unknown) => {
      this.metrics.authOutcome('web_login', errorCodeOf(error));
      throw error;
    });
    this.metrics.authOutcome('web_login', result.kind === 'signed_in' ? 'ok' : result.code);
    return result;
  }

  private async decide(attempt: SignInAttempt, meta: RequestMeta): Promise<SignInResult> {
    const refused = (
      status: number,
      code: ErrorCode,
      message: string,
      needCode = false,
    ): SignInRefusal => ({
      kind: 'refused',
      status,
      code,
      message,
      needCode,
      headers: {},
    });
    // The limiter's 429 (or 503) keeps its headers; the code field stays if the user was sending one.
    const tooMany = (error: ApiError): SignInRefusal => ({
      ...refused(error.status, error.code, error.message, attempt.code !== ''),
      headers: error.headers,
    });

    let principal: AuthPrincipal;
    try {
      // Counted against the address and the account before the password is verified.
      principal = await this.passwords.authenticate(attempt.login, attempt.password, {
        ip: meta.ip,
        userAgent: meta.userAgent,
        via: 'web_login',
      });
    } catch (error) {
      const limited = rateLimitedError(error);
      if (limited) {
        return tooMany(limited);
      }
      if (!(error instanceof ApiError) || error.code !== 'invalid_credentials') {
        throw error;
      }
      // The same sentence for a wrong password, an unknown user and a locked account.
      return refused(401, 'invalid_credentials', 'The username or password is wrong.');
    }

    if (principal.twoFactorEnabled) {
      if (!attempt.code) {
        return refused(
          401,
          'two_factor_required',
          'Enter the 6-digit code from your authenticator app.',
          true,
        );
      }
      let right: boolean;
      try {
        right = await this.failedAuth.guess(meta.ip, principal.user.id, () =>
          this.twoFactor.verifyUserCode(principal.user.id, attempt.code, meta),
        );
      } catch (error) {
        const limited = rateLimitedError(error);
        if (limited) {
          return tooMany(limited);
        }
        throw error;
      }
      if (!right) {
        return refused(
          401,
          'invalid_credentials',
          'The two-factor code is wrong or expired.',
          true,
        );
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
}

/** The limiter's refusals: 429 past a limit, 503 while its counters do not answer. */
function rateLimitedError(error: unknown): ApiError | null {
  return error instanceof ApiError &&
    (error.code === 'rate_limited' || error.code === 'service_unavailable')
    ? error
    : null;
}
