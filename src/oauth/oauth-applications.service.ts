import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { Repository } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { AuthPrincipal, SCOPES } from '../auth/auth-types';
import { notFound } from '../common/errors/api-error';
import { RequestMeta } from '../common/http/request-meta.decorator';
import { isUuid } from '../common/http/uuid-param.pipe';
import { sha256Hex } from '../tokens/token-format';
import { CreateOAuthApplicationRequest } from './dto/oauth-application.dto';
import { OAuthApplication } from './entities/oauth-application.entity';
import { OAuthSecrets } from './oauth-constants';
import { OAuthService } from './oauth.service';

export interface CreatedApplication {
  app: OAuthApplication;
  /** The client secret of a confidential app, shown once; never stored. */
  secret: string | null;
}

/**
 * OAuth applications registered by instance admins (SPEC §9), for the admin API and the admin
 * pages alike: one place that creates, audits and deletes them. Callers check the admin.
 */
@Injectable()
export class OAuthApplicationsService {
  constructor(
    @InjectRepository(OAuthApplication) private readonly applications: Repository<OAuthApplication>,
    private readonly audit: AuditService,
    private readonly oauth: OAuthService,
  ) {}

  /** Oldest first, as registered. */
  list(window: { offset: number; limit: number }): Promise<[OAuthApplication[], number]> {
    return this.applications.findAndCount({
      order: { createdAt: 'ASC', id: 'ASC' },
      skip: window.offset,
      take: window.limit,
    });
  }

  async find(id: string): Promise<OAuthApplication> {
    const app = isUuid(id) ? await this.applications.findOneBy({ id: id.toLowerCase() }) : null;
    if (!app) {
      throw notFound('Application');
    }
    return app;
  }

  async create(
    me: AuthPrincipal,
    request: CreateOAuthApplicationRequest,
    meta: RequestMeta,
  ): Promise<CreatedApplication> {
    const confidential = request.confidential ?? true;
    const secret = confidential ? OAuthSecrets.clientSecret() : null;
    const app = this.applications.create({
      id: randomUUID(),
      name: request.name.trim(),
      clientId: OAuthSecrets.clientId(),
      clientSecretHash: secret ? sha256Hex(secret) : null,
      redirectUris: request.redirect_uris,
      scopes: SCOPES.filter((s) => request.scopes.includes(s)),
      confidential,
      createdBy: me.user.id,
      createdAt: new Date(),
    });
    await this.applications.insert(app);
    await this.audit.record({
      action: 'oauth_application.created',
      actor: me,
      targetType: 'oauth_application',
      targetId: app.id,
      ip: meta.ip,
      userAgent: meta.userAgent,
      metadata: { name: app.name, client_id: app.clientId, confidential },
    });
    return { app, secret };
  }

  /** Deletes the app; its codes and tokens stop working at once. Returns what was deleted. */
  async delete(me: AuthPrincipal, id: string, meta: RequestMeta): Promise<OAuthApplication> {
    const app = await this.find(id);
    await this.oauth.deleteApplication(app.id);
    await this.audit.record({
      action: 'oauth_application.deleted',
      actor: me,
      targetType: 'oauth_application',
      targetId: app.id,
      ip: meta.ip,
      userAgent: meta.userAgent,
      metadata: { name: app.name, client_id: app.clientId },
    });
    return app;
  }
}
