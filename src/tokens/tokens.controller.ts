import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { AuthPrincipal } from '../auth/auth-types';
import { Auth } from '../auth/decorators/auth.decorator';
import { OptionalWorkspace, Principal } from '../auth/decorators/request-params.decorator';
import { ApiErrorResponse } from '../common/errors/api-error.dto';
import { Page } from '../common/http/pagination';
import { ReqMeta, RequestMeta } from '../common/http/request-meta.decorator';
import { UuidParam } from '../common/http/uuid-param.pipe';
import { CurrentMembershipOptional } from '../workspaces/membership.decorator';
import { Membership } from '../workspaces/entities/membership.entity';
import { Workspace } from '../workspaces/entities/workspace.entity';
import {
  CreatedTokenResponse,
  CreateTokenRequest,
  ListTokensQuery,
  RotateTokenRequest,
  TokenListResponse,
  TokenResponse,
  UpdateTokenRequest,
} from './dto/token.dto';
import { TokensService } from './tokens.service';
import { PaginationQuery } from '../common/http/pagination';
import {
  TokenRequestListResponse,
  TokenRequestResponse,
  TokenUsageQuery,
  TokenUsageResponse,
  USAGE_DEFAULT_DAYS,
} from './request-log/request-log.dto';
import { RequestLogService } from './request-log/request-log.service';
import { TOKEN_ACTIONS } from '../workspaces/workspace-policy';

const TOKEN_ROUTE = { workspace: 'header', allowInstanceToken: true } as const;
// Revoking is the workspace policy's token action: allowed on every plan and billing state, to a
// token the workspace's token policy no longer allows, and past the rate limit and quota.
const { scope, anyPlan, anyBilling, anyTokenPolicy, anyLimit } = TOKEN_ACTIONS.revoke;
const REVOKE = { scope, anyPlan, anyBilling, anyTokenPolicy, anyLimit };

@ApiTags('tokens')
@Controller('api/v1/tokens')
export class TokensController {
  constructor(
    private readonly tokens: TokensService,
    private readonly requestLog: RequestLogService,
  ) {}

  @Post()
  @Auth({ scope: 'write', ...TOKEN_ROUTE })
  @ApiOperation({
    summary: 'Create an API token',
    description:
      'The response is the only time the token string is shown. Expiry is mandatory. ' +
      'A token can only create tokens with its own scopes or fewer, expiring no later than itself.',
  })
  @ApiCreatedResponse({ type: CreatedTokenResponse })
  @ApiConflictResponse({ description: 'token_limit_reached', type: ApiErrorResponse })
  create(
    @Principal() me: AuthPrincipal,
    @OptionalWorkspace() workspace: Workspace | undefined,
    @CurrentMembershipOptional() membership: Membership | undefined,
    @Body() dto: CreateTokenRequest,
    @ReqMeta() meta: RequestMeta,
  ): Promise<CreatedTokenResponse> {
    return this.tokens.create(me, { workspace, membership }, dto, meta);
  }

  @Get()
  @Auth({ scope: 'read', ...TOKEN_ROUTE })
  @ApiOperation({ summary: 'List your tokens (or every member’s with all=true)' })
  @ApiOkResponse({ type: TokenListResponse })
  async list(
    @Principal() me: AuthPrincipal,
    @OptionalWorkspace() workspace: Workspace | undefined,
    @CurrentMembershipOptional() membership: Membership | undefined,
    @Query() query: ListTokensQuery,
  ): Promise<Page<TokenResponse>> {
    const page = await this.tokens.list(me, { workspace, membership }, query);
    await this.requestLog.withLastUsedIps(page.data);
    return page;
  }

  @Get('self')
  @Auth({ scope: 'read', ...TOKEN_ROUTE })
  @ApiOperation({ summary: 'The token this request is authenticated with' })
  @ApiOkResponse({ type: TokenResponse })
  async self(
    @Principal() me: AuthPrincipal,
    @OptionalWorkspace() workspace: Workspace | undefined,
  ): Promise<TokenResponse> {
    const [token] = await this.requestLog.withLastUsedIps([
      await this.tokens.self(me, { workspace }),
    ]);
    return token;
  }

  @Get(':id')
  @Auth({ scope: 'read', ...TOKEN_ROUTE })
  @ApiOperation({ summary: 'One token' })
  @ApiOkResponse({ type: TokenResponse })
  async get(
    @Principal() me: AuthPrincipal,
    @OptionalWorkspace() workspace: Workspace | undefined,
    @CurrentMembershipOptional() membership: Membership | undefined,
    @Param('id', new UuidParam('Token')) id: string,
  ): Promise<TokenResponse> {
    const [token] = await this.requestLog.withLastUsedIps([
      await this.tokens.get(me, { workspace, membership }, id),
    ]);
    return token;
  }

  // --- request log (SPEC §11.2) ---

  @Get(':id/requests')
  @Auth({ scope: 'read', ...TOKEN_ROUTE })
  @ApiOperation({
    summary: 'The token’s request log, newest first',
    description:
      'Every request the token made, refused ones included (method, path without the query string, ' +
      'status, address, user agent, duration). Written in batches: visible within a few seconds. ' +
      'Kept TOKEN_REQUEST_LOG_DAYS days and at most the latest TOKEN_REQUEST_LOG_MAX_PER_TOKEN entries. ' +
      'By the token’s owner or a user who manages API access in its workspace.',
  })
  @ApiOkResponse({ type: TokenRequestListResponse })
  async requests(
    @Principal() me: AuthPrincipal,
    @OptionalWorkspace() workspace: Workspace | undefined,
    @CurrentMembershipOptional() membership: Membership | undefined,
    @Param('id', new UuidParam('Token')) id: string,
    @Query() query: PaginationQuery,
  ): Promise<Page<TokenRequestResponse>> {
    const token = await this.tokens.visible(me, { workspace, membership }, id);
    return this.requestLog.requests(token.id, query);
  }

  @Get(':id/usage')
  @Auth({ scope: 'read', ...TOKEN_ROUTE })
  @ApiOperation({
    summary: 'The token’s requests and errors per UTC day',
    description:
      'One entry per UTC day for the last `days` days (today included), oldest first, days ' +
      'without requests as zeros. errors: status 400 or more. Not limited by the log’s retention.',
  })
  @ApiOkResponse({ type: TokenUsageResponse })
  async usage(
    @Principal() me: AuthPrincipal,
    @OptionalWorkspace() workspace: Workspace | undefined,
    @CurrentMembershipOptional() membership: Membership | undefined,
    @Param('id', new UuidParam('Token')) id: string,
    @Query() query: TokenUsageQuery,
  ): Promise<TokenUsageResponse> {
    const token = await this.tokens.visible(me, { workspace, membership }, id);
    return { data: await this.requestLog.usage(token.id, query.days ?? USAGE_DEFAULT_DAYS) };
  }

  // --- end request log ---

  @Patch(':id')
  @Auth({ scope: 'write', ...TOKEN_ROUTE })
  @ApiOperation({
    summary: 'Change a token’s name, allowed addresses, projects or rate limit',
    description:
      'By the token’s owner or a user who manages API access in its workspace. Applies on the next request, on every instance. ' +
      'A token acting here cannot lift restrictions it has itself (addresses, projects, rate limit).',
  })
  @ApiOkResponse({ type: TokenResponse })
  async update(
    @Principal() me: AuthPrincipal,
    @OptionalWorkspace() workspace: Workspace | undefined,
    @CurrentMembershipOptional() membership: Membership | undefined,
    @Param('id', new UuidParam('Token')) id: string,
    @Body() dto: UpdateTokenRequest,
    @ReqMeta() meta: RequestMeta,
  ): Promise<TokenResponse> {
    const [token] = await this.requestLog.withLastUsedIps([
      await this.tokens.update(me, { workspace, membership }, id, dto, meta),
    ]);
    return token;
  }

  @Post(':id/rotate')
  @HttpCode(201)
  @Auth({ scope: 'write', ...TOKEN_ROUTE })
  @ApiOperation({
    summary: 'Rotate a token',
    description:
      'Creates a replacement with the same name and scopes; the old token keeps working for grace_seconds.',
  })
  @ApiCreatedResponse({ type: CreatedTokenResponse })
  rotate(
    @Principal() me: AuthPrincipal,
    @OptionalWorkspace() workspace: Workspace | undefined,
    @CurrentMembershipOptional() membership: Membership | undefined,
    @Param('id', new UuidParam('Token')) id: string,
    @Body() dto: RotateTokenRequest,
    @ReqMeta() meta: RequestMeta,
  ): Promise<CreatedTokenResponse> {
    return this.tokens.rotate(me, { workspace, membership }, id, dto, meta);
  }

  @Delete(':id')
  @HttpCode(204)
  @Auth({ ...REVOKE, ...TOKEN_ROUTE })
  @ApiOperation({ summary: 'Revoke a token (allowed even while billing is read-only)' })
  @ApiNoContentResponse({ description: 'Revoked' })
  async revoke(
    @Principal() me: AuthPrincipal,
    @OptionalWorkspace() workspace: Workspace | undefined,
    @CurrentMembershipOptional() membership: Membership | undefined,
    @Param('id', new UuidParam('Token')) id: string,
    @ReqMeta() meta: RequestMeta,
  ): Promise<void> {
    await this.tokens.revoke(me, { workspace, membership }, id, meta);
  }
}
