import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { AuthPrincipal, SCOPES } from '../auth/auth-types';
import { AuthCache } from '../cache/auth-cache.service';
import { notFound, validationFailed } from '../common/errors/api-error';
import { RequestMeta } from '../common/http/request-meta.decorator';
import { DatabaseService } from '../database/database.service';
import { SettingsService } from '../settings/settings.service';
import {
  TokenPolicyResponse,
  toTokenPolicyResponse,
  UpdateTokenPolicyRequest,
} from './dto/token-policy.dto';
import { Workspace } from './entities/workspace.entity';
import { TokenPolicy, tokenPolicyOf } from './workspace-policy';

/** GET/PATCH /api/v1/workspaces/:id/token-policy (SPEC §11.3); the rules are in workspace-policy. */
@Injectable()
export class TokenPolicyService {
  constructor(
    private readonly db: DatabaseService,
    private readonly audit: AuditService,
    private readonly cache: AuthCache,
    private readonly settings: SettingsService,
  ) {}

  async get(workspace: Workspace): Promise<TokenPolicyResponse> {
    const { maxTokenLifetimeDays } = await this.settings.get();
    return toTokenPolicyResponse(tokenPolicyOf(workspace), maxTokenLifetimeDays);
  }

  /**
   * Changes the fields given, audited with the policy before and after; a request that changes
   * nothing writes and records nothing. The next request anywhere sees the new policy: the
   * workspace (and with it the policy) is dropped from every instance's cache.
   */
  async update(
    me: AuthPrincipal,
    workspace: Workspace,
    dto: UpdateTokenPolicyRequest,
    meta: RequestMeta,
  ): Promise<TokenPolicyResponse> {
    const { maxTokenLifetimeDays } = await this.settings.get();
    if (
      dto.max_lifetime_days !== undefined &&
      dto.max_lifetime_days !== null &&
      dto.max_lifetime_days > maxTokenLifetimeDays
    ) {
      throw validationFailed([
        {
          field: 'max_lifetime_days',
          message: `max_lifetime_days can be at most ${maxTokenLifetimeDays}, this instance’s maximum token lifetime.`,
        },
      ]);
    }
    const { after, changed } = await this.db.transaction(async (m) => {
      // The stored row, not the cached one: another change may have landed a moment ago.
      const current = await this.db.lockForUpdate(m, Workspace, workspace.id);
      if (!current) {
        throw notFound('Workspace');
      }
      const before = tokenPolicyOf(current);
      const next: TokenPolicy = {
        maxLifetimeDays:
          dto.max_lifetime_days === undefined ? before.maxLifetimeDays : dto.max_lifetime_days,
        allowedScopes: dto.allowed_scopes
          ? SCOPES.filter((s) => dto.allowed_scopes?.includes(s))
          : before.allowedScopes,
        requireAllowedCidrs: dto.require_allowed_cidrs ?? before.requireAllowedCidrs,
        idleRevokeDays:
          dto.idle_revoke_days === undefined ? before.idleRevokeDays : dto.idle_revoke_days,
      };
      // As stored: a value the instance maximum caps for now is still the workspace's choice.
      const was = toTokenPolicyResponse(before);
      const is = toTokenPolicyResponse(next);
      if (JSON.stringify(was) === JSON.stringify(is)) {
        return { after: next, changed: false };
      }
      await m.update(
        Workspace,
        { id: workspace.id },
        {
          tokenMaxLifetimeDays: next.maxLifetimeDays,
          tokenAllowedScopes: [...next.allowedScopes],
          tokenRequireAllowedCidrs: next.requireAllowedCidrs,
          tokenIdleRevokeDays: next.idleRevokeDays,
          updatedAt: new Date(),
        },
      );
      await this.audit.record(
        {
          action: 'workspace.token_policy_updated',
          actor: me,
          workspaceId: workspace.id,
          targetType: 'workspace',
          targetId: workspace.id,
          ip: meta.ip,
          userAgent: meta.userAgent,
          metadata: { before: { ...was }, after: { ...is } },
        },
        m,
      );
      return { after: next, changed: true };
    });
    if (changed) {
      await this.cache.invalidate({ kind: 'workspace', workspaceId: workspace.id });
    }
    return toTokenPolicyResponse(after, maxTokenLifetimeDays);
  }
}
