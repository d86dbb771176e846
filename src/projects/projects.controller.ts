import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Auth } from '../auth/decorators/auth.decorator';
import { CurrentArea } from '../auth/decorators/request-params.decorator';
import { Page } from '../common/http/pagination';
import { UuidParam } from '../common/http/uuid-param.pipe';
import { ProjectArea } from './project-area';
import {
  CreateProjectRequest,
  ListProjectsQuery,
  ProjectListResponse,
  ProjectResponse,
  UpdateProjectRequest,
} from './dto/project.dto';
import { ProjectsService } from './projects.service';

@ApiTags('projects')
@Controller('api/v1/projects')
export class ProjectsController {
  constructor(private readonly projects: ProjectsService) {}

  @Get()
  @Auth({ scope: 'read', permission: 'projects.read', workspace: 'header' })
  @ApiOperation({ summary: 'Projects of the workspace' })
  @ApiOkResponse({ type: ProjectListResponse })
  list(
    @CurrentArea() area: ProjectArea,
    @Query() query: ListProjectsQuery,
  ): Promise<Page<ProjectResponse>> {
    return this.projects.list(area, query);
  }

  @Post()
  @Auth({ scope: 'write', permission: 'projects.write', workspace: 'header' })
  @ApiOperation({ summary: 'Create a project' })
  @ApiCreatedResponse({ type: ProjectResponse })
  create(
    @CurrentArea() area: ProjectArea,
    @Body() dto: CreateProjectRequest,
  ): Promise<ProjectResponse> {
    return this.projects.create(area, dto);
  }

  @Get(':id')
  @Auth({ scope: 'read', permission: 'projects.read', workspace: 'header' })
  @ApiOperation({ summary: 'One project' })
  @ApiOkResponse({ type: ProjectResponse })
  get(
    @CurrentArea() area: ProjectArea,
    @Param('id', new UuidParam('Project')) id: string,
  ): Promise<ProjectResponse> {
    return this.projects.get(area, id);
  }

  @Patch(':id')
  @Auth({ scope: 'write', permission: 'projects.write', workspace: 'header' })
  @ApiOperation({ summary: 'Update a project' })
  @ApiOkResponse({ type: ProjectResponse })
  update(
    @CurrentArea() area: ProjectArea,
    @Param('id', new UuidParam('Project')) id: string,
    @Body() dto: UpdateProjectRequest,
  ): Promise<ProjectResponse> {
    return this.projects.update(area, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @Auth({ scope: 'delete', permission: 'projects.write', workspace: 'header' })
  @ApiOperation({ summary: 'Delete a project and its issues' })
  @ApiNoContentResponse({ description: 'Deleted' })
  async remove(
    @CurrentArea() area: ProjectArea,
    @Param('id', new UuidParam('Project')) id: string,
  ): Promise<void> {
    await this.projects.remove(area, id);
  }
}
