import { Controller, Delete, Get, HttpCode, Param, Query } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuthPrincipal } from '../auth/auth-types';
import { Auth } from '../auth/decorators/auth.decorator';
import { Principal } from '../auth/decorators/request-params.decorator';
import { Page } from '../common/http/pagination';
import { ReqMeta, RequestMeta } from '../common/http/request-meta.decorator';
import { UuidParam } from '../common/http/uuid-param.pipe';
import { AdminListTokensQuery, TokenListResponse, TokenResponse } from './dto/token.dto';
import { TokensService } from './tokens.service';

@ApiTags('admin')
@Controller('api/v1/admin/tokens')
export class AdminTokensController {
  constructor(private readonly tokens: TokensService) {}

  @Get()
  @Auth({ scope: 'admin', instanceAdmin: true })
  @ApiOperation({ summary: 'Every API token, filtered by user, workspace and state (default all)' })
  @ApiOkResponse({ type: TokenListResponse })
  list(@Query() query: AdminListTokensQuery): Promise<Page<TokenResponse>> {
    return this.tokens.adminList(query);
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
