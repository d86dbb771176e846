import { HttpStatus, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { generateSecret, generateURI, verify } from 'otplib';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager, IsNull, Repository } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { AuthPrincipal } from '../auth/auth-types';
import { ApiError, notFound, validationFailed } from '../common/errors/api-error';
import { FailedAuthLimiter } from '../rate-limit/failed-auth.limiter';
import { RequestMeta } from '../common/http/request-meta.decorator';
import { SecretBox } from '../common/crypto/secret-box';
import { AtRestEncryption, totpPurpose } from '../settings/at-rest-encryption.service';
import { RecoveryCodesResponse, TwoFactorSetupResponse } from './dto/user.dto';
import { TwoFactorRecoveryCode } from './entities/two-factor-recovery-code.entity';
import { User } from './entities/user.entity';
import { assertServiceAccountChange } from '../workspaces/workspace-policy';
import {
  newRecoveryCode,
  normaliseRecoveryCode,
  RECOVERY_CODE_COUNT,
  recoveryCodeHash,
} from './recovery-codes';

const ISSUER = 'Tessera';

const conflict = (message: string): ApiError =>
  new ApiError(HttpStatus.CONFLICT, 'conflict', message);

const TOTP_CODE = /^\d{6}$/;

/** A user's 2FA state as loaded, with the TOTP secret opened. */
interface TwoFactorUser {
  id: string;
  username: string;
  enabled: boolean;
  secret: string | null;
}

/**
 * TOTP two-factor authentication (RFC 6238: SHA-1, 6 digits, 30 s), SPEC §8, with single-use
 * recovery codes and the admin reset of SPEC §12. Secrets are stored sealed (AES-256-GCM).
 */
@Injectable()
export class TwoFactorService {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    @InjectRepository(TwoFactorRecoveryCode)
    private readonly recoveryCodes: Repository<TwoFactorRecoveryCode>,
    private readonly dataSource: DataSource,
    private readonly atRest: AtRestEncryption,
    private readonly audit: AuditService,
    private readonly failedAuth: FailedAuthLimiter,
  ) {}

  /** Starts enrolment: a new secret, not active until a code from it is confirmed. */
  async start(me: AuthPrincipal): Promise<TwoFactorSetupResponse> {
    const user = await this.load(me.user.id);
    if (user.enabled) {
      throw conflict('Two-factor authentication is already on; turn it off first to re-enrol.');
    }
    const secret = generateSecret();
    const box = await this.atRest.box();
    await this.users.update(
      { id: user.id },
      { totpSecret: box.seal(secret, totpPurpose(user.id)), updatedAt: new Date() },
    );
    return {
      secret,
      otpauth_uri: generateURI({ issuer: ISSUER, label: user.username, secret }),
    };
  }

  /** Turns 2FA on with a code from the app; answers the recovery codes, shown this once. */
  async confirm(
    me: AuthPrincipal,
    code: string,
    meta: RequestMeta,
  ): Promise<RecoveryCodesResponse> {
    const user = await this.load(me.user.id);
    if (user.enabled) {
      throw conflict('Two-factor authentication is already on.');
    }
    if (!user.secret) {
      throw conflict('Start with POST /api/v1/me/two-factor to get a secret first.');
    }
    // Only the app's code proves the enrolment worked (there are no recovery codes yet).
    await this.assertCode(user, code, meta, false);
    return this.issueRecoveryCodes(me, user.id, meta, 'user.two_factor_enabled', (manager) =>
      manager
        .getRepository(User)
        .update({ id: user.id }, { totpEnabledAt: new Date(), updatedAt: new Date() }),
    );
  }

  /** New recovery codes for a current code (app or recovery); the old ones stop working. */
  async regenerateRecoveryCodes(
    me: AuthPrincipal,
    code: string,
    meta: RequestMeta,
  ): Promise<RecoveryCodesResponse> {
    const user = await this.load(me.user.id);
    if (!user.enabled || !user.secret) {
      throw conflict('Two-factor authentication is not on.');
    }
    await this.assertCode(user, code, meta, true);
    return this.issueRecoveryCodes(me, user.id, meta, 'two_factor.recovery_codes_regenerated');
  }

  /**
   * In one transaction: `change` (if any), ten new recovery codes in place of the old ones, and
   * the audit event `action`. Returns the codes, shown this once.
   */
  private issueRecoveryCodes(
    me: AuthPrincipal,
    userId: string,
    meta: RequestMeta,
    action: 'user.two_factor_enabled' | 'two_factor.recovery_codes_regenerated',
    change?: (manager: EntityManager) => Promise<unknown>,
  ): Promise<RecoveryCodesResponse> {
    return this.dataSource.transaction(async (manager) => {
      await change?.(manager);
      const codes = await this.replaceRecoveryCodes(manager, userId);
      await this.audit.record(
        {
          action,
          actor: me,
          targetType: 'user',
          targetId: userId,
          ip: meta.ip,
          userAgent: meta.userAgent,
        },
        manager,
      );
      return { recovery_codes: codes };
    });
  }

  /** An instance admin turns a user's 2FA off (a lost phone and lost recovery codes). */
  async adminReset(actor: AuthPrincipal, userId: string, meta: RequestMeta): Promise<void> {
    const user = await this.users.findOne({
      where: { id: userId },
      select: { id: true, username: true, totpEnabledAt: true, type: true },
    });
    if (!user) {
      throw notFound('User');
    }
    if (user.type === 'service_account') {
      assertServiceAccountChange({ kind: 'two_factor_reset' });
    }
    await this.dataSource.transaction(async (manager) => {
      await manager
        .getRepository(User)
        .update(
          { id: userId },
          { totpSecret: null, totpEnabledAt: null, totpLastStep: null, updatedAt: new Date() },
        );
      await manager.getRepository(TwoFactorRecoveryCode).delete({ userId });
      await this.audit.record(
        {
          action: 'two_factor.reset',
          actor,
          targetType: 'user',
          targetId: userId,
          ip: meta.ip,
          userAgent: meta.userAgent,
          metadata: { username: user.username, was_enabled: user.totpEnabledAt !== null },
        },
        manager,
      );
    });
  }

  async disable(me: AuthPrincipal, code: string, meta: RequestMeta): Promise<void> {
    const user = await this.load(me.user.id);
    if (!user.enabled || !user.secret) {
      throw conflict('Two-factor authentication is not on.');
    }
    await this.assertCode(user, code, meta, true);
    await this.dataSource.transaction(async (manager) => {
      await manager
        .getRepository(User)
        .update({ id: user.id }, { totpSecret: null, totpEnabledAt: null, updatedAt: new Date() });
      await manager.getRepository(TwoFactorRecoveryCode).delete({ userId: user.id });
      await this.audit.record(
        {
          action: 'user.two_factor_disabled',
          actor: me,
          targetType: 'user',
          targetId: user.id,
          ip: meta.ip,
          userAgent: meta.userAgent,
        },
        manager,
      );
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

  /**
   * For the login page: the user's current code, or one of their recovery codes (used up by
   * this), when 2FA is on.
   */
  async verifyUserCode(userId: string, code: string, meta?: RequestMeta): Promise<boolean> {
    const user = await this.load(userId);
    if (!user.enabled || !user.secret) {
      return false;
    }
    return this.verify(user, code, meta, true);
  }

  /** An app code of `user`, or (when `recovery`) a recovery code, consumed atomically. */
  private async verify(
    user: TwoFactorUser,
    code: string,
    meta: RequestMeta | undefined,
    recovery: boolean,
  ): Promise<boolean> {
    if (TOTP_CODE.test(code)) {
      return user.secret !== null && this.isValidCode(user.secret, code, user.id);
    }
    const normalised = recovery ? normaliseRecoveryCode(code) : null;
    if (normalised === null) {
      return false;
    }
    // One conditional write: of two requests with the same code, on any instance, one wins.
    const used = await this.recoveryCodes
      .createQueryBuilder()
      .update(TwoFactorRecoveryCode)
      .set({ usedAt: new Date() })
      .where('user_id = :userId', { userId: user.id })
      .andWhere('code_hash = :hash', { hash: recoveryCodeHash(user.id, normalised) })
      .andWhere('used_at IS NULL')
      .execute();
    if (!used.affected) {
      return false;
    }
    const left = await this.recoveryCodes.countBy({ userId: user.id, usedAt: IsNull() });
    await this.audit.record({
      action: 'two_factor.recovery_code_used',
      actor: null,
      targetType: 'user',
      targetId: user.id,
      ip: meta?.ip,
      userAgent: meta?.userAgent,
      metadata: { remaining: left },
    });
    return true;
  }

  /** Deletes the user's recovery codes and stores the hashes of 10 new ones, returned in clear. */
  private async replaceRecoveryCodes(manager: EntityManager, userId: string): Promise<string[]> {
    const repo = manager.getRepository(TwoFactorRecoveryCode);
    await repo.delete({ userId });
    const codes = new Set<string>();
    while (codes.size < RECOVERY_CODE_COUNT) {
      codes.add(newRecoveryCode());
    }
    const now = new Date();
    await repo.insert(
      [...codes].map((code) => ({
        id: randomUUID(),
        userId,
        codeHash: recoveryCodeHash(userId, normaliseRecoveryCode(code) as string),
        usedAt: null,
        createdAt: now,
      })),
    );
    return [...codes];
  }

  /**
   * A wrong code counts as a failed sign-in for the address and for the account, like one on
   * the login page: six digits must not be guessable by someone who holds the password.
   */
  private async assertCode(
    user: TwoFactorUser,
    code: string,
    meta: RequestMeta,
    recovery: boolean,
  ): Promise<void> {
    const right = await this.failedAuth.guess(meta.ip, user.id, () =>
      this.verify(user, code, meta, recovery),
    );
    if (!right) {
      throw validationFailed([
        {
          field: 'code',
          message: recovery
            ? 'The code is wrong or expired; use the current code from your app or an unused recovery code.'
            : 'The code is wrong or expired; use the current code from your app.',
        },
      ]);
    }
  }

  /**
   * The user's 2FA state with the secret opened. A secret still in plaintext (stored by an
   * older version after this instance started) is read once and written back sealed.
   */
  private async load(id: string): Promise<TwoFactorUser> {
    const user = await this.users.findOneOrFail({
      where: { id },
      select: { id: true, username: true, totpSecret: true, totpEnabledAt: true },
    });
    let secret: string | null = null;
    if (user.totpSecret !== null) {
      const box = await this.atRest.box();
      if (SecretBox.isSealed(user.totpSecret)) {
        secret = box.open(user.totpSecret, totpPurpose(id));
      } else {
        secret = user.totpSecret;
        await this.users.update(
          { id, totpSecret: user.totpSecret },
          { totpSecret: box.seal(secret, totpPurpose(id)) },
        );
      }
    }
    return { id, username: user.username, enabled: user.totpEnabledAt !== null, secret };
  }
}
