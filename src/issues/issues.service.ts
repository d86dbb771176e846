import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { In, Repository } from 'typeorm';
import { ProjectArea, reaches } from '../projects/project-area';
import { AuthPrincipal } from '../auth/auth-types';
import { notFound, validationFailed } from '../common/errors/api-error';
import { Page, pageWindow, toPage } from '../common/http/pagination';
import { findPage } from '../database/lean-page';
import { ProjectsService } from '../projects/projects.service';
import { Membership } from '../workspaces/entities/membership.entity';
import {
  CreateIssueRequest,
  IssueResponse,
  ListIssuesQuery,
  toIssueResponse,
  UpdateIssueRequest,
} from './dto/issue.dto';
import { Issue } from './entities/issue.entity';

@Injectable()
export class IssuesService {
  constructor(
    @InjectRepository(Issue) private readonly issues: Repository<Issue>,
    @InjectRepository(Membership) private readonly memberships: Repository<Membership>,
    private readonly projects: ProjectsService,
  ) {}

  async list(area: ProjectArea, query: ListIssuesQuery): Promise<Page<IssueResponse>> {
    const window = pageWindow(query);
    const projectId = query.project_id?.toLowerCase() || undefined;
    const [rows, total] = await findPage(
      this.issues,
      {
        workspaceId: area.workspace.id,
        // A project outside the area filters to nothing (an empty list), like an unknown one.
        projectId:
          projectId === undefined
            ? (area.projectIds ?? undefined)
            : reaches(area, projectId)
              ? projectId
              : [],
        status: query.status || undefined,
        assigneeId: query.assignee_id?.toLowerCase() || undefined,
      },
      window,
    );
    return toPage(rows, total, window, toIssueResponse);
  }

  async create(
    me: AuthPrincipal,
    area: ProjectArea,
    projectId: string,
    dto: CreateIssueRequest,
  ): Promise<IssueResponse> {
    const { workspace } = area;
    const project = await this.projects.findInArea(area, projectId);
    const assigneeId = await this.checkAssignee(workspace.id, dto.assignee_id);
    const now = new Date();
    const issue = this.issues.create({
      id: randomUUID(),
      workspaceId: workspace.id,
      projectId: project.id,
      subject: dto.subject.trim(),
      description: dto.description ?? null,
      status: dto.status ?? 'open',
      priority: dto.priority ?? 'normal',
      assigneeId: assigneeId ?? null,
      authorId: me.user.id,
      createdAt: now,
      updatedAt: now,
    });
    await this.issues.insert(issue);
    return toIssueResponse(issue);
  }

  async get(area: ProjectArea, id: string): Promise<IssueResponse> {
    return toIssueResponse(await this.findInArea(area, id));
  }

  async update(area: ProjectArea, id: string, dto: UpdateIssueRequest): Promise<IssueResponse> {
    const { workspace } = area;
    const issue = await this.findInArea(area, id);
    const changes: Partial<Issue> = { updatedAt: new Date() };
    if (dto.subject !== undefined) {
      changes.subject = dto.subject.trim();
    }
    if (dto.description !== undefined) {
      changes.description = dto.description;
    }
    if (dto.status !== undefined) {
      changes.status = dto.status;
    }
    if (dto.priority !== undefined) {
      changes.priority = dto.priority;
    }
    if (dto.assignee_id !== undefined) {
      changes.assigneeId = (await this.checkAssignee(workspace.id, dto.assignee_id)) ?? null;
    }
    await this.issues.update({ id: issue.id, workspaceId: workspace.id }, changes);
    return toIssueResponse({ ...issue, ...changes });
  }

  async remove(area: ProjectArea, id: string): Promise<void> {
    const issue = await this.findInArea(area, id);
    await this.issues.delete({ id: issue.id, workspaceId: area.workspace.id });
  }

  /** An issue of a project the request reaches; anything else is "not found". */
  private async findInArea(area: ProjectArea, id: string): Promise<Issue> {
    const { projectIds } = area;
    const issue =
      projectIds?.length === 0
        ? null
        : await this.issues.findOneBy({
            id,
            workspaceId: area.workspace.id,
            ...(projectIds ? { projectId: In([...projectIds]) } : {}),
          });
    if (!issue) {
      throw notFound('Issue');
    }
    return issue;
  }

  /** An assignee must be a member of the workspace (SPEC §7). */
  private async checkAssignee(
    workspaceId: string,
    assigneeId: string | null | undefined,
  ): Promise<string | null | undefined> {
    if (assigneeId === null || assigneeId === undefined) {
      return assigneeId;
    }
    const userId = assigneeId.toLowerCase();
    if (!(await this.memberships.existsBy({ workspaceId, userId }))) {
      throw validationFailed([
        { field: 'assignee_id', message: 'The assignee must be a member of this workspace.' },
      ]);
    }
    return userId;
  }
}
