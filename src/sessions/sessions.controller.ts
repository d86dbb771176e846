import { Controller, Delete, Get, HttpCode, Param, Query } from '@nestjs/common';
import {
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { AuthPrincipal } from '../auth/auth-types';
import { Auth } from '../auth/decorators/auth.decorator';
import { Principal } from '../auth/decorators/request-params.decorator';
import { ApiErrorResponse } from '../common/errors/api-error.dto';
import { notFound } from '../common/errors/api-error';
import { Page, PaginationQuery } from '../common/http/pagination';
import { ReqMeta, RequestMeta } from '../common/http/request-meta.decorator';
import { UuidParam } from '../common/http/uuid-param.pipe';
import { SessionListResponse, SessionResponse } from './dto/session.dto';
import { SessionsService } from './sessions.service';

/**
 * The user's web sessions (SPEC §12). Like the 2FA routes these take the account password (HTTP
 * Basic), never a token: a leaked token must not see where its owner is signed in or sign them out.
 */
@ApiTags('me')
@Controller('api/v1/me/sessions')
export class SessionsController {
  constructor(private readonly sessions: SessionsService) {}

  @Get()
  @Auth({ scope: 'read', passwordOnly: true })
  @ApiOperation({ summary: 'The web sessions signed in to this account' })
  @ApiOkResponse({ type: SessionListResponse })
  list(
    @Principal() me: AuthPrincipal,
    @Query() query: PaginationQuery,
  ): Promise<Page<SessionResponse>> {
    return this.sessions.list(me.user.id, query, null);
  }

  @Delete(':id')
  @HttpCode(204)
  @Auth({ scope: 'delete', passwordOnly: true })
  @ApiOperation({ summary: 'End one of your web sessions (signs that browser out)' })
  @ApiNoContentResponse({ description: 'The session has ended' })
  @ApiNotFoundResponse({
    type: ApiErrorResponse,
    description: 'not_found (also another user’s session)',
  })
  async end(
    @Principal() me: AuthPrincipal,
    @Param('id', new UuidParam('Session')) id: string,
    @ReqMeta() meta: RequestMeta,
  ): Promise<void> {
    if (!(await this.sessions.endOwn(me, id, meta))) {
      throw notFound('Session');
    }
  }
}
