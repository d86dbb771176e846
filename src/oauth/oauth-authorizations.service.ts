import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, IsNull, Repository } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { AuthPrincipal, SCOPES } from '../auth/auth-types';
import { AuthCache } from '../cache/auth-cache.service';
import { notFound } from '../common/errors/api-error';
import { RequestMeta } from '../common/http/request-meta.decorator';
import { OAuthAuthorizationResponse } from './dto/oauth-authorization.dto';
import { OAuthApplication } from './entities/oauth-application.entity';
import { OAuthAuthorizationCode } from './entities/oauth-authorization-code.entity';
import { OAuthToken } from './entities/oauth-token.entity';

/**
 * The applications a user authorized (SPEC §12), for `/api/v1/me/authorizations` and the
 * account page alike: an application is listed while one of its grants can still be used —
 * an access token not yet expired, or a refresh token not yet used, expired or revoked.
 */
@Injectable()
export class OAuthAuthorizationsService {
  constructor(
    @InjectRepository(OAuthToken) private readonly tokens: Repository<OAuthToken>,
    @InjectRepository(OAuthApplication) private readonly applications: Repository<OAuthApplication>,
    @InjectRepository(OAuthAuthorizationCode)
    private readonly codes: Repository<OAuthAuthorizationCode>,
    private readonly audit: AuditService,
    private readonly cache: AuthCache,
  ) {}

  /** Newest issue first. A user authorizes few applications: grouped here, not in SQL. */
  async list(userId: string): Promise<OAuthAuthorizationResponse[]> {
    const live = await this.liveTokens(userId);
    if (live.length === 0) {
      return [];
    }
    const apps = await this.applications.findBy({
      id: In([...new Set(live.map((t) => t.applicationId))]),
    });
    // The first issue of each live family, for "authorized at".
    const families = await this.tokens.find({
      select: { familyId: true, createdAt: true },
      where: { familyId: In([...new Set(live.map((t) => t.familyId))]) },
    });
    const started = new Map<string, number>();
    for (const row of families) {
      const at = row.createdAt.getTime();
      started.set(row.familyId, Math.min(at, started.get(row.familyId) ?? at));
    }
    return apps
      .map((app) => {
        const mine = live.filter((t) => t.applicationId === app.id);
        const scopes = new Set(mine.flatMap((t) => t.scopes));
        const familyIds = new Set(mine.map((t) => t.familyId));
        return {
          client_id: app.clientId,
          name: app.name,
          scopes: SCOPES.filter((s) => scopes.has(s)),
          grants: familyIds.size,
          authorized_at: new Date(
            Math.min(...[...familyIds].map((id) => started.get(id) ?? Infinity)),
          ).toISOString(),
          last_issued_at: new Date(
            Math.max(...mine.map((t) => t.createdAt.getTime())),
          ).toISOString(),
        };
      })
      .sort((a, b) => b.last_issued_at.localeCompare(a.last_issued_at));
  }

  /**
   * Ends every grant the user gave the application, and the codes not yet exchanged: its tokens
   * stop working on the very next request, on every instance.
   */
  async revoke(me: AuthPrincipal, clientId: string, meta: RequestMeta): Promise<void> {
    const app = await this.applications.findOneBy({ clientId: clientId.slice(0, 64) });
    const live = app
      ? (await this.liveTokens(me.user.id)).filter((t) => t.applicationId === app.id)
      : [];
    if (!app || live.length === 0) {
      throw notFound('An authorization of this application');
    }
    const now = new Date();
    await this.tokens.update(
      { userId: me.user.id, applicationId: app.id, revokedAt: IsNull() },
      { revokedAt: now },
    );
    await this.codes.update(
      { userId: me.user.id, applicationId: app.id, consumedAt: IsNull() },
      { consumedAt: now },
    );
    for (const familyId of new Set(live.map((t) => t.familyId))) {
      await this.cache.invalidate({ kind: 'oauth_family', familyId });
    }
    await this.audit.record({
      action: 'oauth_authorization.revoked',
      actor: me,
      targetType: 'oauth_application',
      targetId: app.id,
      ip: meta.ip,
      userAgent: meta.userAgent,
      metadata: { client_id: app.clientId, name: app.name },
    });
  }

  private async liveTokens(userId: string): Promise<OAuthToken[]> {
    const now = new Date();
    return this.tokens
      .createQueryBuilder('t')
      .where('t.user_id = :userId', { userId })
      .andWhere('t.revoked_at IS NULL')
      .andWhere(
        '(t.access_expires_at > :now OR (t.refresh_token_hash IS NOT NULL AND ' +
          't.refresh_used_at IS NULL AND t.refresh_expires_at > :now))',
        { now },
      )
      .getMany();
  }
}
