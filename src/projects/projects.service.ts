import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { Repository } from 'typeorm';
import { conflict, notFound } from '../common/errors/api-error';
import { Page, pageWindow, toPage } from '../common/http/pagination';
import { findPage } from '../database/lean-page';
import { Workspace } from '../workspaces/entities/workspace.entity';
import {
  CreateProjectRequest,
  ListProjectsQuery,
  ProjectResponse,
  toProjectResponse,
  UpdateProjectRequest,
} from './dto/project.dto';
import { Project } from './entities/project.entity';

@Injectable()
export class ProjectsService {
  constructor(@InjectRepository(Project) private readonly projects: Repository<Project>) {}

  async list(workspace: Workspace, query: ListProjectsQuery): Promise<Page<ProjectResponse>> {
    const window = pageWindow(query);
    const [rows, total] = await findPage(this.projects, { workspaceId: workspace.id }, window);
    return toPage(rows, total, window, toProjectResponse);
  }

  async create(workspace: Workspace, dto: CreateProjectRequest): Promise<ProjectResponse> {
    await this.assertIdentifierFree(workspace.id, dto.identifier);
    const now = new Date();
    const project = this.projects.create({
      id: randomUUID(),
      workspaceId: workspace.id,
      name: dto.name.trim(),
      identifier: dto.identifier,
      description: dto.description ?? null,
      createdAt: now,
      updatedAt: now,
    });
    await this.projects.insert(project);
    return toProjectResponse(project);
  }

  async get(workspace: Workspace, id: string): Promise<ProjectResponse> {
    return toProjectResponse(await this.findInWorkspace(workspace.id, id));
  }

  async update(
    workspace: Workspace,
    id: string,
    dto: UpdateProjectRequest,
  ): Promise<ProjectResponse> {
    const project = await this.findInWorkspace(workspace.id, id);
    if (dto.identifier !== undefined && dto.identifier !== project.identifier) {
      await this.assertIdentifierFree(workspace.id, dto.identifier);
    }
    const changes: Partial<Project> = { updatedAt: new Date() };
    if (dto.name !== undefined) {
      changes.name = dto.name.trim();
    }
    if (dto.identifier !== undefined) {
      changes.identifier = dto.identifier;
    }
    if (dto.description !== undefined) {
      changes.description = dto.description;
    }
    await this.projects.update({ id: project.id, workspaceId: workspace.id }, changes);
    return toProjectResponse({ ...project, ...changes });
  }

  async remove(workspace: Workspace, id: string): Promise<void> {
    const project = await this.findInWorkspace(workspace.id, id);
    await this.projects.delete({ id: project.id, workspaceId: workspace.id });
  }

  /** Another workspace's project is "not found", never "forbidden". */
  async findInWorkspace(workspaceId: string, id: string): Promise<Project> {
    const project = await this.projects.findOneBy({ id, workspaceId });
    if (!project) {
      throw notFound('Project');
    }
    return project;
  }

  private async assertIdentifierFree(workspaceId: string, identifier: string): Promise<void> {
    if (await this.projects.existsBy({ workspaceId, identifier })) {
      throw conflict('Another project in this workspace uses this identifier.', 'identifier');
    }
  }
}
