import { HttpStatus, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { generateSecret, generateURI, verify } from 'otplib';
import { Repository } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { AuthPrincipal } from '../auth/auth-types';
import { ApiError, validationFailed } from '../common/errors/api-error';
import { FailedAuthLimiter } from '../rate-limit/failed-auth.limiter';
import { RequestMeta } from '../common/http/request-meta.decorator';
import { TwoFactorSetupResponse } from './dto/user.dto';
import { User } from './entities/user.entity';

const ISSUER = 'Tessera';

const conflict = (message: string): ApiError =>
  new ApiError(HttpStatus.CONFLICT, 'conflict', message);

/** TOTP two-factor authentication (RFC 6238: SHA-1, 6 digits, 30 s), SPEC §8. */
@Injectable()
export class TwoFactorService {
  /** Last accepted time step per user, against replays of a code within its window. */

  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly audit: AuditService,
    private readonly failedAuth: FailedAuthLimiter,
  ) {}

  /** Starts enrolment: a new secret, not active until a code from it is confirmed. */
  async start(me: AuthPrincipal): Promise<TwoFactorSetupResponse> {
    const user = await this.load(me.user.id);
    if (user.totpEnabledAt) {
      throw conflict('Two-factor authentication is already on; turn it off first to re-enrol.');
    }
    const secret = generateSecret();
    await this.users.update({ id: user.id }, { totpSecret: secret, updatedAt: new Date() });
    return {
      secret,
      otpauth_uri: generateURI({ issuer: ISSUER, label: user.username, secret }),
    };
  }

  async confirm(me: AuthPrincipal, code: string, meta: RequestMeta): Promise<void> {
    const user = await this.load(me.user.id);
    if (user.totpEnabledAt) {
      throw conflict('Two-factor authentication is already on.');
    }
    if (!user.totpSecret) {
      throw conflict('Start with POST /api/v1/me/two-factor to get a secret first.');
    }
    await this.assertCode(user.totpSecret, code, user.id, meta.ip);
    await this.users.update({ id: user.id }, { totpEnabledAt: new Date(), updatedAt: new Date() });
    await this.audit.record({
      action: 'user.two_factor_enabled',
      actor: me,
      targetType: 'user',
      targetId: user.id,
      ip: meta.ip,
      userAgent: meta.userAgent,
    });
  }

  async disable(me: AuthPrincipal, code: string, meta: RequestMeta): Promise<void> {
    const user = await this.load(me.user.id);
    if (!user.totpEnabledAt || !user.totpSecret) {
      throw conflict('Two-factor authentication is not on.');
    }
    await this.assertCode(user.totpSecret, code, user.id, meta.ip);
    await this.users.update(
      { id: user.id },
      { totpSecret: null, totpEnabledAt: null, updatedAt: new Date() },
    );
    await this.audit.record({
      action: 'user.two_factor_disabled',
      actor: me,
      targetType: 'user',
      targetId: user.id,
      ip: meta.ip,
      userAgent: meta.userAgent,
    });
  }

  /**
   * A code of the current 30-second step or its neighbours (clock drift), never one of a step
   * this user already used (RFC 6238 §5.2: a code works once).
   */
  async isValidCode(secret: string, code: string, userId?: string): Promise<boolean> {
    const result = await verify({ secret, token: code, epochTolerance: 30 });
    if (!result.valid) {
      return false;
    }
    if (userId !== undefined) {
      // The 30-second step the code belongs to (TOTP results carry it).
      const step =
        'timeStep' in result && typeof result.timeStep === 'number'
          ? result.timeStep
          : Math.floor(Date.now() / 30_000);
      // Claimed in one conditional write: of two requests (on any instance) with the same code,
      // only one moves the step forward.
      const claimed = await this.users
        .createQueryBuilder()
        .update(User)
        .set({ totpLastStep: step })
        .where('id = :userId', { userId })
        .andWhere('(totp_last_step IS NULL OR totp_last_step < :step)', { step })
        .execute();
      if (!claimed.affected) {
        return false;
      }
    }
    return true;
  }

  /** For the login page: the user's current code, when 2FA is on. */
  async verifyUserCode(userId: string, code: string): Promise<boolean> {
    const user = await this.load(userId);
    if (!user.totpEnabledAt || !user.totpSecret || !/^\d{6}$/.test(code)) {
      return false;
    }
    return this.isValidCode(user.totpSecret, code, userId);
  }

  /**
   * A wrong code counts as a failed sign-in for the address and for the account, like one on
   * the login page: six digits must not be guessable by someone who holds the password.
   */
  private async assertCode(
    secret: string,
    code: string,
    userId: string,
    ip: string,
  ): Promise<void> {
    // Counted before the code is checked, so that parallel guesses cannot pass the limit.
    const reserved = await this.failedAuth.reserve(
      FailedAuthLimiter.address(ip),
      FailedAuthLimiter.account(userId),
    );
    if (!(await this.isValidCode(secret, code, userId))) {
      throw validationFailed([
        {
          field: 'code',
          message: 'The code is wrong or expired; use the current code from your app.',
        },
      ]);
    }
    await reserved.release();
  }

  private async load(id: string): Promise<User> {
    return this.users.findOneOrFail({
      where: { id },
      select: { id: true, username: true, totpSecret: true, totpEnabledAt: true },
    });
  }
}
