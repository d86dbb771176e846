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
import { CurrentArea, Principal } from '../auth/decorators/request-params.decorator';
import { Page } from '../common/http/pagination';
import { UuidParam } from '../common/http/uuid-param.pipe';
import { ProjectArea } from '../projects/project-area';
import {
  CreateIssueRequest,
  IssueListResponse,
  IssueResponse,
  ListIssuesQuery,
  UpdateIssueRequest,
} from './dto/issue.dto';
import { IssuesService } from './issues.service';

@ApiTags('issues')
@Controller('api/v1')
export class IssuesController {
  constructor(private readonly issues: IssuesService) {}

  @Get('issues')
  @Auth({ scope: 'read', permission: 'issues.read', workspace: 'header' })
  @ApiOperation({ summary: 'Issues of the workspace, filtered by project, status and assignee' })
  @ApiOkResponse({ type: IssueListResponse })
  list(
    @CurrentArea() area: ProjectArea,
    @Query() query: ListIssuesQuery,
  ): Promise<Page<IssueResponse>> {
    return this.issues.list(area, query);
  }

  @Post('projects/:projectId/issues')
  @Auth({ scope: 'write', permission: 'issues.write', workspace: 'header' })
  @ApiOperation({ summary: 'Create an issue in a project (starts open, priority normal)' })
  @ApiCreatedResponse({ type: IssueResponse })
  create(
    @Principal() me: AuthPrincipal,
    @CurrentArea() area: ProjectArea,
    @Param('projectId', new UuidParam('Project')) projectId: string,
    @Body() dto: CreateIssueRequest,
  ): Promise<IssueResponse> {
    return this.issues.create(me, area, projectId, dto);
  }

  @Get('issues/:id')
  @Auth({ scope: 'read', permission: 'issues.read', workspace: 'header' })
  @ApiOperation({ summary: 'One issue' })
  @ApiOkResponse({ type: IssueResponse })
  get(
    @CurrentArea() area: ProjectArea,
    @Param('id', new UuidParam('Issue')) id: string,
  ): Promise<IssueResponse> {
    return this.issues.get(area, id);
  }

  @Patch('issues/:id')
  @Auth({ scope: 'write', permission: 'issues.write', workspace: 'header' })
  @ApiOperation({ summary: 'Update an issue' })
  @ApiOkResponse({ type: IssueResponse })
  update(
    @CurrentArea() area: ProjectArea,
    @Param('id', new UuidParam('Issue')) id: string,
    @Body() dto: UpdateIssueRequest,
  ): Promise<IssueResponse> {
    return this.issues.update(area, id, dto);
  }

  @Delete('issues/:id')
  @HttpCode(204)
  @Auth({ scope: 'delete', permission: 'issues.delete', workspace: 'header' })
  @ApiOperation({ summary: 'Delete an issue' })
  @ApiNoContentResponse({ description: 'Deleted' })
  async remove(
    @CurrentArea() area: ProjectArea,
    @Param('id', new UuidParam('Issue')) id: string,
  ): Promise<void> {
    await this.issues.remove(area, id);
  }
}
