import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { AuthPrincipal } from '../auth/auth-types';
import { Auth, RouteAuth } from '../auth/decorators/auth.decorator';
import {
  CurrentMembership,
  CurrentWorkspace,
  Principal,
} from '../auth/decorators/request-params.decorator';
import { ApiErrorResponse } from '../common/errors/api-error.dto';
import { Page, PaginationQuery } from '../common/http/pagination';
import { ReqMeta, RequestMeta } from '../common/http/request-meta.decorator';
import { UuidParam } from '../common/http/uuid-param.pipe';
import { CreatedTokenResponse, CreateTokenRequest } from '../tokens/dto/token.dto';
import {
  CreateServiceAccountRequest,
  ServiceAccountListResponse,
  ServiceAccountResponse,
} from './dto/service-account.dto';
import { Membership } from './entities/membership.entity';
import { Workspace } from './entities/workspace.entity';
import { ServiceAccountsService } from './service-accounts.service';
import { SERVICE_ACCOUNT_ACTIONS, WorkspaceAction } from './workspace-policy';

/** The route declaration of a workspace policy action, in the workspace of the path. */
function inPath(action: WorkspaceAction): RouteAuth {
  const { scope, permission, anyPlan, anyBilling } = action;
  return { scope, permission, anyPlan, anyBilling, workspace: { param: 'id' } };
}

@ApiTags('workspaces')
@Controller('api/v1/workspaces/:id/service-accounts')
export class ServiceAccountsController {
  constructor(private readonly accounts: ServiceAccountsService) {}

  @Get()
  @Auth(inPath(SERVICE_ACCOUNT_ACTIONS.list))
  @ApiOperation({
    summary: 'The workspace’s service accounts (owners and admins)',
    description: 'Service accounts are non-human members that own API tokens and take no seat.',
  })
  @ApiOkResponse({ type: ServiceAccountListResponse })
  list(
    @Principal() me: AuthPrincipal,
    @Param('id', new UuidParam('Workspace')) _id: string,
    @CurrentWorkspace() workspace: Workspace,
    @CurrentMembership() membership: Membership,
    @Query() query: PaginationQuery,
  ): Promise<Page<ServiceAccountResponse>> {
    return this.accounts.list(me, { workspace, membership }, query);
  }

  @Post()
  @Auth(inPath(SERVICE_ACCOUNT_ACTIONS.create))
  @ApiOperation({
    summary: 'Create a service account (owners and admins)',
    description:
      'A member of this workspace only, with the role member or admin, no password and no ' +
      'sign-in: it acts through the tokens made for it with POST …/service-accounts/{saId}/tokens.',
  })
  @ApiCreatedResponse({ type: ServiceAccountResponse })
  create(
    @Principal() me: AuthPrincipal,
    @Param('id', new UuidParam('Workspace')) _id: string,
    @CurrentWorkspace() workspace: Workspace,
    @CurrentMembership() membership: Membership,
    @Body() dto: CreateServiceAccountRequest,
    @ReqMeta() meta: RequestMeta,
  ): Promise<ServiceAccountResponse> {
    return this.accounts.create(me, { workspace, membership }, dto, meta);
  }

  @Delete(':saId')
  @HttpCode(204)
  @Auth(inPath(SERVICE_ACCOUNT_ACTIONS.delete))
  @ApiOperation({
    summary: 'Delete a service account (allowed even while billing is read-only)',
    description:
      'Revokes all its tokens now (revoked_reason service_account_deleted) and removes it from ' +
      'the workspace; it can never be used again.',
  })
  @ApiNoContentResponse({ description: 'Deleted' })
  async remove(
    @Principal() me: AuthPrincipal,
    @Param('id', new UuidParam('Workspace')) _id: string,
    @Param('saId', new UuidParam('Service account')) saId: string,
    @CurrentWorkspace() workspace: Workspace,
    @CurrentMembership() membership: Membership,
    @ReqMeta() meta: RequestMeta,
  ): Promise<void> {
    await this.accounts.delete(me, { workspace, membership }, saId, meta);
  }

  @Post(':saId/tokens')
  @Auth(inPath(SERVICE_ACCOUNT_ACTIONS.mintToken))
  @ApiOperation({
    summary: 'Create an API token for a service account (owners and admins)',
    description:
      'Same body and rules as POST /api/v1/tokens, counted against the plan’s token limit. The ' +
      'response is the only time the token string is shown. A caller using a token can only ' +
      'create tokens with its own scopes or fewer, expiring no later than itself.',
  })
  @ApiCreatedResponse({ type: CreatedTokenResponse })
  @ApiConflictResponse({ description: 'token_limit_reached', type: ApiErrorResponse })
  mintToken(
    @Principal() me: AuthPrincipal,
    @Param('id', new UuidParam('Workspace')) _id: string,
    @Param('saId', new UuidParam('Service account')) saId: string,
    @CurrentWorkspace() workspace: Workspace,
    @CurrentMembership() membership: Membership,
    @Body() dto: CreateTokenRequest,
    @ReqMeta() meta: RequestMeta,
  ): Promise<CreatedTokenResponse> {
    return this.accounts.mintToken(me, { workspace, membership }, saId, dto, meta);
  }
}
