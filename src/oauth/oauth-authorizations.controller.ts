import { Controller, Delete, Get, HttpCode, Param, Query } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuthPrincipal } from '../auth/auth-types';
import { Auth } from '../auth/decorators/auth.decorator';
import { Principal } from '../auth/decorators/request-params.decorator';
import { Page, pageWindow, PaginationQuery } from '../common/http/pagination';
import { ReqMeta, RequestMeta } from '../common/http/request-meta.decorator';
import {
  OAuthAuthorizationListResponse,
  OAuthAuthorizationResponse,
} from './dto/oauth-authorization.dto';
import { OAuthAuthorizationsService } from './oauth-authorizations.service';

/**
 * The applications the user authorized (SPEC §12). Like 2FA, these take the account password
 * on the API (never a token: an application must not be able to hide itself); the account page
 * offers the same through the session.
 */
@ApiTags('me')
@Controller('api/v1/me/authorizations')
export class OAuthAuthorizationsController {
  constructor(private readonly authorizations: OAuthAuthorizationsService) {}

  @Get()
  @Auth({ scope: 'read', passwordOnly: true })
  @ApiOperation({ summary: 'The OAuth applications you authorized that can still act for you' })
  @ApiOkResponse({ type: OAuthAuthorizationListResponse })
  async list(
    @Principal() me: AuthPrincipal,
    @Query() query: PaginationQuery,
  ): Promise<Page<OAuthAuthorizationResponse>> {
    const window = pageWindow(query);
    const all = await this.authorizations.list(me.user.id);
    return {
      data: all.slice(window.offset, window.offset + window.limit),
      total_count: all.length,
      ...window,
    };
  }

  @Delete(':clientId')
  @HttpCode(204)
  @Auth({ scope: 'delete', passwordOnly: true })
  @ApiOperation({
    summary: 'Revoke an application: every grant you gave it ends, its tokens stop at once',
  })
  @ApiNoContentResponse({ description: 'Revoked' })
  async revoke(
    @Principal() me: AuthPrincipal,
    @Param('clientId') clientId: string,
    @ReqMeta() meta: RequestMeta,
  ): Promise<void> {
    await this.authorizations.revoke(me, clientId, meta);
  }
}
