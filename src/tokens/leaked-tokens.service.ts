import { QuotaLedger } from '../rate-limit/quota-ledger';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Repository } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { AuthPrincipal } from '../auth/auth-types';
import { AuthCache } from '../cache/auth-cache.service';
import { notFound } from '../common/errors/api-error';
import { RequestMeta } from '../common/http/request-meta.decorator';
import { DatabaseService } from '../database/database.service';
import { EventsService } from '../events/events.service';
import { OAuthToken } from '../oauth/entities/oauth-token.entity';
import { OAuthService } from '../oauth/oauth.service';
import { User } from '../users/entities/user.entity';
import { tokenPolicyOf } from '../workspaces/workspace-policy';
import { Workspace } from '../workspaces/entities/workspace.entity';
import { LeakReportResponse, TokenLookupResponse } from './dto/leaked-tokens.dto';
import { tokenQuota, toTokenResponse } from './dto/token.dto';
import { ApiToken } from './entities/api-token.entity';
import { revokeWithin } from './token-revocation';
import { sha256Hex, TokenFormat } from './token-format';

// OAuth access and refresh tokens (src/oauth/oauth-constants.ts): no checksum, only their shape.
const OAUTH_TOKEN = /^ts[or]_[0-9A-Za-z]{40}$/;

/**
 * Leaked tokens (SPEC §11.6): anyone who finds tokens (a secret scanner, a colleague) reports
 * them, and the working ones among them are revoked at once. The answer never tells which
 * strings were tokens; strings that cannot be ours are dropped without a database read.
 */
@Injectable()
export class LeakedTokensService {
  constructor(
    @InjectRepository(ApiToken) private readonly tokens: Repository<ApiToken>,
    private readonly format: TokenFormat,
    private readonly oauth: OAuthService,
    private readonly db: DatabaseService,
    private readonly audit: AuditService,
    private readonly events: EventsService,
    private readonly cache: AuthCache,
    private readonly quotas: QuotaLedger,
  ) {}

  async revokeLeaked(reported: readonly string[], meta: RequestMeta): Promise<LeakReportResponse> {
    const apiHashes = new Set<string>();
    const oauthHashes = new Set<string>();
    for (const value of reported) {
      const candidate = value.trim();
      // The checksum first: a near miss or a made-up string never reaches the database.
      if (this.format.isWellFormed(candidate)) {
        apiHashes.add(sha256Hex(candidate));
      } else if (OAUTH_TOKEN.test(candidate)) {
        oauthHashes.add(sha256Hex(candidate));
      }
    }
    await this.revokeApiTokens([...apiHashes], meta);
    await this.revokeOAuthGrants([...oauthHashes], meta);
    return { received: reported.length };
  }

  /** Active API tokens among the hashes (one query) → revoked, reason leaked. */
  private async revokeApiTokens(hashes: string[], meta: RequestMeta): Promise<void> {
    if (hashes.length === 0) {
      return;
    }
    const now = new Date();
    const found = await this.tokens.find({ where: { tokenHash: In(hashes) } });
    const live = found.filter(
      (t) => (!t.revokedAt || t.revokedAt > now) && t.expiresAt.getTime() > now.getTime(),
    );
    if (live.length === 0) {
      return;
    }
    const at = new Date(Math.floor(now.getTime() / 1000) * 1000);
    const revoked = await this.db.transaction(async (m) => {
      const done: ApiToken[] = [];
      for (const token of live) {
        const leaked = await revokeWithin(m, this.audit, this.events, token, {
          at,
          reason: 'leaked',
          action: 'token.leaked',
          actor: null,
          meta,
        });
        if (leaked) {
          done.push(leaked);
        }
      }
      return done;
    });
    for (const token of revoked) {
      await this.cache.invalidate({ kind: 'token', tokenId: token.id });
    }
  }

  /** OAuth tokens among the hashes (one query) → their whole grant revoked. */
  private async revokeOAuthGrants(hashes: string[], meta: RequestMeta): Promise<void> {
    const rows = await this.oauth.findByHashes(hashes);
    if (rows.length === 0) {
      return;
    }
    const reported = new Set(hashes);
    const byFamily = new Map<string, OAuthToken>();
    for (const row of rows) {
      byFamily.set(row.familyId, byFamily.get(row.familyId) ?? row);
    }
    const now = new Date();
    const revoked = await this.db.transaction(async (m) => {
      const done: string[] = [];
      for (const [familyId, row] of byFamily) {
        if (!(await this.oauth.revokeGrantIn(m, familyId, now))) {
          continue; // already revoked: nothing to announce again
        }
        const kind = reported.has(row.accessTokenHash) ? 'access_token' : 'refresh_token';
        await this.audit.record(
          {
            action: 'token.leaked',
            actor: null,
            targetType: 'oauth_grant',
            targetId: familyId,
            ip: meta.ip,
            userAgent: meta.userAgent,
            metadata: {
              kind,
              owner_id: row.userId,
              application_id: row.applicationId,
              reason: 'leaked',
            },
          },
          m,
        );
        await this.events.record(m, {
          type: 'token.leaked',
          workspaceId: null,
          data: {
            oauth_grant: {
              id: familyId,
              kind,
              user_id: row.userId,
              application_id: row.applicationId,
              scopes: row.scopes,
              revoked_at: now.toISOString(),
              revoked_reason: 'leaked',
            },
          },
        });
        done.push(familyId);
      }
      return done;
    });
    for (const familyId of revoked) {
      await this.oauth.forgetGrant(familyId);
    }
  }

  /** An instance admin finds the token a string is, with its owner and workspace; audited. */
  async lookup(me: AuthPrincipal, raw: string, meta: RequestMeta): Promise<TokenLookupResponse> {
    const candidate = raw.trim();
    const token = this.format.isWellFormed(candidate)
      ? await this.tokens.findOne({ where: { tokenHash: sha256Hex(candidate) } })
      : null;
    await this.audit.record({
      action: 'token.looked_up',
      actor: me,
      workspaceId: token?.workspaceId ?? null,
      targetType: token ? 'api_token' : undefined,
      targetId: token?.id,
      ip: meta.ip,
      userAgent: meta.userAgent,
      // An unknown string is not recorded, not even in part: it may be someone's secret.
      metadata: { found: token !== null, token_prefix: token?.tokenPrefix ?? null },
    });
    if (!token) {
      throw notFound('Token');
    }
    const [owner, workspace] = await Promise.all([
      this.tokens.manager.findOneByOrFail(User, { id: token.userId }),
      token.workspaceId
        ? this.tokens.manager.findOneBy(Workspace, { id: token.workspaceId })
        : null,
    ]);
    const used = await this.quotas.usedBy([{ id: token.id, quota: tokenQuota(token) }]);
    return {
      ...toTokenResponse(token, workspace ? tokenPolicyOf(workspace) : null, used),
      owner: { id: owner.id, username: owner.username },
      workspace: workspace ? { id: workspace.id, name: workspace.name } : null,
    };
  }
}
