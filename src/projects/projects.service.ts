import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { EntityManager, Repository } from 'typeorm';
import { projectCreationRefusal } from '../auth/token-restriction-policy';
import { AuthCache } from '../cache/auth-cache.service';
import { DatabaseService } from '../database/database.service';
import { ApiToken } from '../tokens/entities/api-token.entity';
import { ProjectArea, reaches } from './project-area';
import { conflict, notFound } from '../common/errors/api-error';
import { Page, pageWindow, toPage } from '../common/http/pagination';
import { findPage } from '../database/lean-page';
import {
  CreateProjectRequest,
  ListProjectsQuery,
  ProjectResponse,
  toProjectResponse,
  UpdateProjectRequest,
} from './dto/project.dto';
import { Project } from './entities/project.entity';
import { createCounters } from '../issues/issue-counts';

@Injectable()
export class ProjectsService {
  constructor(
    @InjectRepository(Project) private readonly projects: Repository<Project>,
    private readonly db: DatabaseService,
    private readonly cache: AuthCache,
  ) {}

  async list(area: ProjectArea, query: ListProjectsQuery): Promise<Page<ProjectResponse>> {
    const window = pageWindow(query);
    const [rows, total] = await findPage(
      this.projects,
      { workspaceId: area.workspace.id, id: area.projectIds ?? undefined },
      window,
    );
    return toPage(rows, total, window, toProjectResponse);
  }

  async create(area: ProjectArea, dto: CreateProjectRequest): Promise<ProjectResponse> {
    const refusal = projectCreationRefusal(area.projectIds);
    if (refusal) {
      throw refusal;
    }
    const { workspace } = area;
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
    await this.db.transaction(async (m) => {
      await m.insert(Project, project);
      // Its issue counters (issue 16 point 6): rows that every issue write then only updates.
      await createCounters(m, workspace.id, project.id);
    });
    return toProjectResponse(project);
  }

  async get(area: ProjectArea, id: string): Promise<ProjectResponse> {
    return toProjectResponse(await this.findInArea(area, id));
  }

  async update(area: ProjectArea, id: string, dto: UpdateProjectRequest): Promise<ProjectResponse> {
    const { workspace } = area;
    const project = await this.findInArea(area, id);
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

  /**
   * Deletes the project (its issues go with it) and takes it out of every token restricted to
   * it, in one transaction: a token whose list becomes empty reaches no project, never all.
   */
  async remove(area: ProjectArea, id: string): Promise<void> {
    const project = await this.findInArea(area, id);
    const narrowed = await this.db.transaction(async (m) => {
      await m.delete(Project, { id: project.id, workspaceId: area.workspace.id });
      return this.dropFromTokens(m, area.workspace.id, project.id);
    });
    for (const tokenId of narrowed) {
      await this.cache.invalidate({ kind: 'token', tokenId });
    }
  }

  /** Removes a deleted project from the tokens restricted to it; returns their ids. */
  private async dropFromTokens(
    m: EntityManager,
    workspaceId: string,
    projectId: string,
  ): Promise<string[]> {
    const tokens = await m
      .getRepository(ApiToken)
      .createQueryBuilder('t')
      .select(['t.id', 't.projectIds'])
      .where('t.workspace_id = :workspaceId', { workspaceId })
      .andWhere('t.project_ids LIKE :id', { id: `%"${projectId}"%` })
      .getMany();
    for (const token of tokens) {
      await m.update(
        ApiToken,
        { id: token.id },
        { projectIds: (token.projectIds ?? []).filter((p) => p !== projectId) },
      );
    }
    return tokens.map((t) => t.id);
  }

  /**
   * A project the request reaches; another workspace's, or one a restricted token does not
   * reach, is "not found", never "forbidden".
   */
  async findInArea(area: ProjectArea, id: string): Promise<Project> {
    const project = reaches(area, id)
      ? await this.projects.findOneBy({ id, workspaceId: area.workspace.id })
      : null;
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
