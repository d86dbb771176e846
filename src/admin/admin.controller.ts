import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { AuthPrincipal } from '../auth/auth-types';
import { Auth } from '../auth/decorators/auth.decorator';
import { Principal } from '../auth/decorators/request-params.decorator';
import { Page, PaginationQuery } from '../common/http/pagination';
import { ReqMeta, RequestMeta } from '../common/http/request-meta.decorator';
import { UuidParam } from '../common/http/uuid-param.pipe';
import {
  CreateUserRequest,
  ListUsersQuery,
  PasswordResetResponse,
  UpdateUserRequest,
  UserListResponse,
  UserResponse,
} from '../users/dto/user.dto';
import { PasswordResetService } from '../users/password-reset.service';
import { ApiErrorResponse } from '../common/errors/api-error.dto';
import { TwoFactorService } from '../users/two-factor.service';
import { UsersService } from '../users/users.service';
import {
  AdminUpdateWorkspaceRequest,
  WorkspaceListResponse,
  WorkspaceResponse,
} from '../workspaces/dto/workspace.dto';
import { WorkspacesService } from '../workspaces/workspaces.service';

const ADMIN = { scope: 'admin', instanceAdmin: true } as const;

@ApiTags('admin')
@Controller('api/v1/admin')
export class AdminController {
  constructor(
    private readonly users: UsersService,
    private readonly workspaces: WorkspacesService,
    private readonly resets: PasswordResetService,
    private readonly twoFactor: TwoFactorService,
  ) {}

  @Get('users')
  @Auth(ADMIN)
  @ApiOperation({ summary: 'All users' })
  @ApiOkResponse({ type: UserListResponse })
  listUsers(@Query() query: ListUsersQuery): Promise<Page<UserResponse>> {
    return this.users.list(query);
  }

  @Post('users')
  @Auth(ADMIN)
  @ApiOperation({ summary: 'Create a user' })
  @ApiCreatedResponse({ type: UserResponse })
  createUser(
    @Principal() me: AuthPrincipal,
    @Body() dto: CreateUserRequest,
    @ReqMeta() meta: RequestMeta,
  ): Promise<UserResponse> {
    return this.users.create(me, dto, meta);
  }

  @Patch('users/:id')
  @Auth(ADMIN)
  @ApiOperation({ summary: 'Lock or unlock a user, change admin rights or password' })
  @ApiOkResponse({ type: UserResponse })
  updateUser(
    @Principal() me: AuthPrincipal,
    @Param('id', new UuidParam('User')) id: string,
    @Body() dto: UpdateUserRequest,
    @ReqMeta() meta: RequestMeta,
  ): Promise<UserResponse> {
    return this.users.update(me, id, dto, meta);
  }

  @Post('users/:id/password-reset')
  @Auth(ADMIN)
  @ApiOperation({
    summary: 'A one-time password reset link for the user (valid 1 hour, shown once)',
  })
  @ApiCreatedResponse({ type: PasswordResetResponse })
  createPasswordReset(
    @Principal() me: AuthPrincipal,
    @Param('id', new UuidParam('User')) id: string,
    @ReqMeta() meta: RequestMeta,
  ): Promise<PasswordResetResponse> {
    return this.resets.create(me, id, meta);
  }

  @Delete('users/:id/two-factor')
  @HttpCode(204)
  @Auth(ADMIN)
  @ApiOperation({
    summary: 'Turn a user’s 2FA off (lost phone and recovery codes); audited as two_factor.reset',
  })
  @ApiNoContentResponse({ description: '2FA is off; the user may enrol again' })
  @ApiNotFoundResponse({ description: 'not_found (no such user)', type: ApiErrorResponse })
  async resetTwoFactor(
    @Principal() me: AuthPrincipal,
    @Param('id', new UuidParam('User')) id: string,
    @ReqMeta() meta: RequestMeta,
  ): Promise<void> {
    await this.twoFactor.adminReset(me, id, meta);
  }

  @Get('workspaces')
  @Auth(ADMIN)
  @ApiOperation({ summary: 'All workspaces with plan and billing state' })
  @ApiOkResponse({ type: WorkspaceListResponse })
  listWorkspaces(@Query() query: PaginationQuery): Promise<Page<WorkspaceResponse>> {
    return this.workspaces.adminList(query);
  }

  @Patch('workspaces/:id')
  @Auth(ADMIN)
  @ApiOperation({ summary: 'Set a workspace’s plan, billing status and token packs' })
  @ApiOkResponse({ type: WorkspaceResponse })
  updateWorkspace(
    @Principal() me: AuthPrincipal,
    @Param('id', new UuidParam('Workspace')) id: string,
    @Body() dto: AdminUpdateWorkspaceRequest,
    @ReqMeta() meta: RequestMeta,
  ): Promise<WorkspaceResponse> {
    return this.workspaces.adminUpdate(me, id, dto, meta);
  }
}
