import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { AuthPrincipal } from '../auth/auth-types';
import { Auth } from '../auth/decorators/auth.decorator';
import { Principal } from '../auth/decorators/request-params.decorator';
import { Page, PaginationQuery, pageWindow, toPage } from '../common/http/pagination';
import { ReqMeta, RequestMeta } from '../common/http/request-meta.decorator';
import { UuidParam } from '../common/http/uuid-param.pipe';
import {
  CreatedOAuthApplicationResponse,
  CreateOAuthApplicationRequest,
  OAuthApplicationListResponse,
  OAuthApplicationResponse,
  toApplicationResponse,
} from './dto/oauth-application.dto';
import { OAuthApplicationsService } from './oauth-applications.service';

const ADMIN = { scope: 'admin', instanceAdmin: true } as const;

@ApiTags('admin')
@Controller('api/v1/admin/oauth/applications')
export class OAuthApplicationsController {
  constructor(private readonly applications: OAuthApplicationsService) {}

  @Get()
  @Auth(ADMIN)
  @ApiOperation({ summary: 'Registered OAuth applications' })
  @ApiOkResponse({ type: OAuthApplicationListResponse })
  async list(@Query() query: PaginationQuery): Promise<Page<OAuthApplicationResponse>> {
    const window = pageWindow(query);
    const [rows, total] = await this.applications.list(window);
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
    const { app, secret } = await this.applications.create(me, dto, meta);
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
    await this.applications.delete(me, id, meta);
  }
}
