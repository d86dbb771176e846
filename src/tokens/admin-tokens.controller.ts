import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuthPrincipal } from '../auth/auth-types';
import { Auth } from '../auth/decorators/auth.decorator';
import { Principal } from '../auth/decorators/request-params.decorator';
import { Page } from '../common/http/pagination';
import { ReqMeta, RequestMeta } from '../common/http/request-meta.decorator';
import { UuidParam } from '../common/http/uuid-param.pipe';
import { TokenLookupRequest, TokenLookupResponse } from './dto/leaked-tokens.dto';
import { AdminListTokensQuery, TokenListResponse, TokenResponse } from './dto/token.dto';
import { LeakedTokensService } from './leaked-tokens.service';
import { TokensService } from './tokens.service';
import { RequestLogService } from './request-log/request-log.service';

@ApiTags('admin')
@Controller('api/v1/admin/tokens')
export class AdminTokensController {
  constructor(
    private readonly tokens: TokensService,
    private readonly leaked: LeakedTokensService,
    private readonly requestLog: RequestLogService,
  ) {}

  @Get()
  @Auth({ scope: 'admin', instanceAdmin: true })
  @ApiOperation({ summary: 'Every API token, filtered by user, workspace and state (default all)' })
  @ApiOkResponse({ type: TokenListResponse })
  async list(@Query() query: AdminListTokensQuery): Promise<Page<TokenResponse>> {
    const page = await this.tokens.adminList(query);
    await this.requestLog.withLastUsedIps(page.data);
    return page;
  }

  @Post('lookup')
  @HttpCode(200)
  @Auth({ scope: 'admin', instanceAdmin: true })
  @ApiOperation({
    summary: 'Which token is this secret? With its owner and workspace; revokes nothing',
    description:
      'For a token reported as leaked: find it before deciding what to do. Audited ' +
      '(token.looked_up). API tokens only; an OAuth token or an unknown string is 404.',
  })
  @ApiOkResponse({ type: TokenLookupResponse })
  lookup(
    @Principal() me: AuthPrincipal,
    @Body() dto: TokenLookupRequest,
    @ReqMeta() meta: RequestMeta,
  ): Promise<TokenLookupResponse> {
    return this.leaked.lookup(me, dto.token, meta);
  }

  @Delete(':id')
  @HttpCode(204)
  // Like DELETE /api/v1/tokens/:id: nobody is kept from revoking a secret (SPEC §6).
  @Auth({ scope: 'admin', instanceAdmin: true, anyTokenPolicy: true })
  @ApiOperation({ summary: 'Revoke any token' })
  @ApiNoContentResponse({ description: 'Revoked' })
  async revoke(
    @Principal() me: AuthPrincipal,
    @Param('id', new UuidParam('Token')) id: string,
    @ReqMeta() meta: RequestMeta,
  ): Promise<void> {
    await this.tokens.adminRevoke(me, id, meta);
  }
}
