import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { Repository } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { AuthPrincipal, SCOPES } from '../auth/auth-types';
import { Auth } from '../auth/decorators/auth.decorator';
import { Principal } from '../auth/decorators/request-params.decorator';
import { notFound } from '../common/errors/api-error';
import { Page, PaginationQuery, pageWindow, toPage } from '../common/http/pagination';
import { ReqMeta, RequestMeta } from '../common/http/request-meta.decorator';
import { UuidParam } from '../common/http/uuid-param.pipe';
import { sha256Hex } from '../tokens/token-format';
import {
  CreatedOAuthApplicationResponse,
  CreateOAuthApplicationRequest,
  OAuthApplicationListResponse,
  OAuthApplicationResponse,
  toApplicationResponse,
} from './dto/oauth-application.dto';
import { OAuthService } from './oauth.service';
import { OAuthApplication } from './entities/oauth-application.entity';
import { OAuthSecrets } from './oauth-constants';

const ADMIN = { scope: 'admin', instanceAdmin: true } as const;

@ApiTags('admin')
@Controller('api/v1/admin/oauth/applications')
export class OAuthApplicationsController {
  constructor(
    @InjectRepository(OAuthApplication) private readonly applications: Repository<OAuthApplication>,
    private readonly audit: AuditService,
    private readonly oauth: OAuthService,
  ) {}

  @Get()
  @Auth(ADMIN)
  @ApiOperation({ summary: 'Registered OAuth applications' })
  @ApiOkResponse({ type: OAuthApplicationListResponse })
  async list(@Query() query: PaginationQuery): Promise<Page<OAuthApplicationResponse>> {
    const window = pageWindow(query);
    const [rows, total] = await this.applications.findAndCount({
      order: { createdAt: 'ASC', id: 'ASC' },
      skip: window.offset,
      take: window.limit,
    });
    return toPage(rows, total, window, toApplicationResponse);
  }

  @Post()
  @Auth(ADMIN)
  @ApiOperation({
    summary: 'Register an OAuth application',
    description: 'client_secret (confidential clients only) is shown in this response only.',
  })
  @ApiCreatedResponse({ type: CreatedOAuthApplicationResponse })
  async create(
    @Principal() me: AuthPrincipal,
    @Body() dto: CreateOAuthApplicationRequest,
    @ReqMeta() meta: RequestMeta,
  ): Promise<CreatedOAuthApplicationResponse> {
    const confidential = dto.confidential ?? true;
    const secret = confidential ? OAuthSecrets.clientSecret() : null;
    const app = this.applications.create({
      id: randomUUID(),
      name: dto.name.trim(),
      clientId: OAuthSecrets.clientId(),
      clientSecretHash: secret ? sha256Hex(secret) : null,
      redirectUris: dto.redirect_uris,
      scopes: SCOPES.filter((s) => dto.scopes.includes(s)),
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
    return { ...toApplicationResponse(app), ...(secret ? { client_secret: secret } : {}) };
  }

  @Delete(':id')
  @HttpCode(204)
  @Auth(ADMIN)
  @ApiOperation({ summary: 'Delete an application; its codes and tokens stop working' })
  @ApiNoContentResponse({ description: 'Deleted' })
  async remove(
    @Principal() me: AuthPrincipal,
    @Param('id', new UuidParam('Application')) id: string,
    @ReqMeta() meta: RequestMeta,
  ): Promise<void> {
    const app = await this.applications.findOneBy({ id });
    if (!app) {
      throw notFound('Application');
    }
    await this.oauth.deleteApplication(id);
    await this.audit.record({
      action: 'oauth_application.deleted',
      actor: me,
      targetType: 'oauth_application',
      targetId: id,
      ip: meta.ip,
      userAgent: meta.userAgent,
      metadata: { name: app.name, client_id: app.clientId },
    });
  }
}
