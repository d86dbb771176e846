import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { AuthPrincipal } from '../auth/auth-types';
import { Auth } from '../auth/decorators/auth.decorator';
import {
  CurrentMembership,
  CurrentWorkspace,
  Principal,
} from '../auth/decorators/request-params.decorator';
import { Page, PaginationQuery } from '../common/http/pagination';
import { ReqMeta, RequestMeta } from '../common/http/request-meta.decorator';
import { UuidParam } from '../common/http/uuid-param.pipe';
import {
  AddMemberRequest,
  CreateWorkspaceRequest,
  MemberListResponse,
  MemberResponse,
  UpdateMemberRequest,
  UpdateWorkspaceRequest,
  WorkspaceListResponse,
  WorkspaceResponse,
} from './dto/workspace.dto';
import { Membership } from './entities/membership.entity';
import { Workspace } from './entities/workspace.entity';
import { WorkspacesService } from './workspaces.service';

// Workspace management works on every plan: it is how a workspace gets to a paid one.
const IN_PATH = { workspace: { param: 'id' }, anyPlan: true } as const;

@ApiTags('workspaces')
@Controller('api/v1/workspaces')
export class WorkspacesController {
  constructor(private readonly workspaces: WorkspacesService) {}

  @Get()
  @Auth({ scope: 'read' })
  @ApiOperation({ summary: 'Workspaces you belong to, with your role' })
  @ApiOkResponse({ type: WorkspaceListResponse })
  list(
    @Principal() me: AuthPrincipal,
    @Query() query: PaginationQuery,
  ): Promise<Page<WorkspaceResponse>> {
    return this.workspaces.listMine(me, query);
  }

  @Post()
  @Auth({ scope: 'write' })
  @ApiOperation({ summary: 'Create a workspace (you become its owner; plan free)' })
  @ApiCreatedResponse({ type: WorkspaceResponse })
  create(
    @Principal() me: AuthPrincipal,
    @Body() dto: CreateWorkspaceRequest,
    @ReqMeta() meta: RequestMeta,
  ): Promise<WorkspaceResponse> {
    return this.workspaces.create(me, dto, meta);
  }

  @Get(':id')
  @Auth({ scope: 'read', ...IN_PATH })
  @ApiOperation({ summary: 'One workspace' })
  @ApiOkResponse({ type: WorkspaceResponse })
  get(
    @Param('id', new UuidParam('Workspace')) _id: string,
    @CurrentWorkspace() workspace: Workspace,
    @CurrentMembership() membership: Membership,
  ): Promise<WorkspaceResponse> {
    return this.workspaces.get(workspace, membership);
  }

  @Patch(':id')
  @Auth({ scope: 'write', permission: 'workspace.manage', ...IN_PATH })
  @ApiOperation({ summary: 'Rename a workspace' })
  @ApiOkResponse({ type: WorkspaceResponse })
  update(
    @Principal() me: AuthPrincipal,
    @Param('id', new UuidParam('Workspace')) _id: string,
    @CurrentWorkspace() workspace: Workspace,
    @CurrentMembership() membership: Membership,
    @Body() dto: UpdateWorkspaceRequest,
    @ReqMeta() meta: RequestMeta,
  ): Promise<WorkspaceResponse> {
    return this.workspaces.update(me, workspace, membership, dto, meta);
  }

  @Get(':id/members')
  @Auth({ scope: 'read', ...IN_PATH })
  @ApiOperation({ summary: 'Members and their roles' })
  @ApiOkResponse({ type: MemberListResponse })
  members(
    @Param('id', new UuidParam('Workspace')) _id: string,
    @CurrentWorkspace() workspace: Workspace,
    @Query() query: PaginationQuery,
  ): Promise<Page<MemberResponse>> {
    return this.workspaces.listMembers(workspace, query);
  }

  @Post(':id/members')
  @Auth({ scope: 'write', permission: 'members.manage', ...IN_PATH })
  @ApiOperation({ summary: 'Add a member (only owners may add owners)' })
  @ApiCreatedResponse({ type: MemberResponse })
  addMember(
    @Principal() me: AuthPrincipal,
    @Param('id', new UuidParam('Workspace')) _id: string,
    @CurrentWorkspace() workspace: Workspace,
    @CurrentMembership() membership: Membership,
    @Body() dto: AddMemberRequest,
    @ReqMeta() meta: RequestMeta,
  ): Promise<MemberResponse> {
    return this.workspaces.addMember(me, workspace, membership, dto, meta);
  }

  @Patch(':id/members/:userId')
  @Auth({ scope: 'write', permission: 'members.manage', ...IN_PATH })
  @ApiOperation({ summary: 'Change a member’s role' })
  @ApiOkResponse({ type: MemberResponse })
  updateMember(
    @Principal() me: AuthPrincipal,
    @Param('id', new UuidParam('Workspace')) _id: string,
    @Param('userId', new UuidParam('Member')) userId: string,
    @CurrentWorkspace() workspace: Workspace,
    @CurrentMembership() membership: Membership,
    @Body() dto: UpdateMemberRequest,
    @ReqMeta() meta: RequestMeta,
  ): Promise<MemberResponse> {
    return this.workspaces.updateMember(me, workspace, membership, userId, dto.role, meta);
  }

  @Delete(':id/members/:userId')
  @HttpCode(204)
  @Auth({ scope: 'delete', permission: 'members.manage', ...IN_PATH, anyBilling: true })
  @ApiOperation({ summary: 'Remove a member (their tokens in this workspace are revoked)' })
  @ApiNoContentResponse({ description: 'Removed' })
  async removeMember(
    @Principal() me: AuthPrincipal,
    @Param('id', new UuidParam('Workspace')) _id: string,
    @Param('userId', new UuidParam('Member')) userId: string,
    @CurrentWorkspace() workspace: Workspace,
    @CurrentMembership() membership: Membership,
    @ReqMeta() meta: RequestMeta,
  ): Promise<void> {
    await this.workspaces.removeMember(me, workspace, membership, userId, meta);
  }
}
