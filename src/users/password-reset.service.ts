import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource, IsNull, MoreThan, Repository } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { AuthPrincipal } from '../auth/auth-types';
import { PasswordHasher } from '../auth/password-hasher';
import { AuthCache } from '../cache/auth-cache.service';
import { notFound } from '../common/errors/api-error';
import { RequestMeta } from '../common/http/request-meta.decorator';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { hashSessionSecret, SessionsService } from '../sessions/sessions.service';
import { PasswordResetResponse } from './dto/user.dto';
import { PasswordReset } from './entities/password-reset.entity';
import { User } from './entities/user.entity';
import { assertAcceptablePassword } from './password-policy';
import { assertServiceAccountChange } from '../workspaces/workspace-policy';

/** How long a reset link works. */
export const RESET_LINK_MS = 3_600_000;
export const RESET_PATH = '/password-reset';

/** What a reset link is worth now. */
export type ResetLinkState = 'valid' | 'used' | 'expired' | 'unknown';

/**
 * One-time password reset links (SPEC §12) for a user who forgot their password: an admin makes
 * one (`POST /api/v1/admin/users/:id/password-reset`), shown once and valid 1 hour; opening it
 * shows a form for the new password; using it consumes it and ends every session of the user.
 */

@Injectable()
export class PasswordResetService {
  constructor(
    @InjectRepository(PasswordReset) private readonly resets: Repository<PasswordReset>,
    @InjectRepository(User) private readonly users: Repository<User>,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly hasher: PasswordHasher,
    private readonly sessions: SessionsService,
    private readonly audit: AuditService,
    private readonly cache: AuthCache,
  ) {}

  /** A new link for the user; an earlier unused link of theirs stops working. */
  async create(
    actor: AuthPrincipal,
    userId: string,
    meta: RequestMeta,
  ): Promise<PasswordResetResponse> {
    const user = await this.users.findOne({
      where: { id: userId },
      select: { id: true, type: true },
    });
    if (!user) {
      throw notFound('User');
    }
    if (user.type === 'service_account') {
      assertServiceAccountChange({ kind: 'password_reset' });
    }
    const secret = randomBytes(32).toString('base64url');
    const now = new Date();
    const expiresAt = new Date(now.getTime() + RESET_LINK_MS);
    const id = randomUUID();
    await this.dataSource.transaction(async (manager) => {
      const repo = manager.getRepository(PasswordReset);
      await repo.delete({ userId, usedAt: IsNull() });
      await repo.insert({
        id,
        secretHash: hashSessionSecret(secret),
        userId,
        createdBy: actor.user.id,
        createdAt: now,
        expiresAt,
        usedAt: null,
      });
      await this.audit.record(
        {
          action: 'user.password_reset_created',
          actor,
          targetType: 'user',
          targetId: userId,
          ip: meta.ip,
          userAgent: meta.userAgent,
          metadata: { reset_id: id, expires_at: expiresAt.toISOString() },
        },
        manager,
      );
    });
    const url = new URL(RESET_PATH, this.config.publicUrl);
    url.searchParams.set('code', secret);
    return { url: url.toString(), expires_at: expiresAt.toISOString() };
  }

  /** Whether a link's secret can still be used. */
  async state(secret: string): Promise<ResetLinkState> {
    if (secret === '') {
      return 'unknown';
    }
    const reset = await this.resets.findOneBy({ secretHash: hashSessionSecret(secret) });
    if (!reset) {
      return 'unknown';
    }
    if (reset.usedAt) {
      return 'used';
    }
    return reset.expiresAt.getTime() <= Date.now() ? 'expired' : 'valid';
  }

  /**
   * Sets the new password through the link and uses the link up (once: two submissions cannot
   * both pass), ending every web session of the user. Returns the link's state when it could not
   * be used.
   */
  async use(secret: string, newPassword: string, meta: RequestMeta): Promise<ResetLinkState> {
    const state = await this.state(secret);
    if (state !== 'valid') {
      return state;
    }
    const pending = await this.resets.findOneByOrFail({ secretHash: hashSessionSecret(secret) });
    const user = await this.users.findOneByOrFail({ id: pending.userId });
    assertAcceptablePassword(newPassword, 'new_password', {
      username: user.username,
      email: user.email,
    });
    const passwordHash = await this.hasher.hash(newPassword);
    const secretHash = hashSessionSecret(secret);
    const userId = await this.dataSource.transaction(async (manager) => {
      const repo = manager.getRepository(PasswordReset);
      const now = new Date();
      const claimed = await repo.update(
        { secretHash, usedAt: IsNull(), expiresAt: MoreThan(now) },
        { usedAt: now },
      );
      if ((claimed.affected ?? 0) !== 1) {
        return null;
      }
      const reset = await repo.findOneByOrFail({ secretHash });
      await manager
        .getRepository(User)
        .update({ id: reset.userId }, { passwordHash, updatedAt: now });
      await this.sessions.endAll(reset.userId, 'password_reset', { actor: null, meta }, manager);
      await this.audit.record(
        {
          action: 'user.password_reset_used',
          actor: null,
          targetType: 'user',
          targetId: reset.userId,
          ip: meta.ip,
          userAgent: meta.userAgent,
          metadata: { reset_id: reset.id },
        },
        manager,
      );
      return reset.userId;
    });
    if (userId === null) {
      return this.state(secret);
    }
    await this.cache.invalidate({ kind: 'user', userId });
    return 'valid';
  }
}
