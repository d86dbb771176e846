import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { Repository } from 'typeorm';
import { AuthPrincipal } from '../auth/auth-types';
import { notFound, validationFailed } from '../common/errors/api-error';
import { Page, pageWindow, toPage } from '../common/http/pagination';
import { findPage } from '../database/lean-page';
import { ProjectsService } from '../projects/projects.service';
import { Membership } from '../workspaces/entities/membership.entity';
import { Workspace } from '../workspaces/entities/workspace.entity';
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

  async list(workspace: Workspace, query: ListIssuesQuery): Promise<Page<IssueResponse>> {
    const window = pageWindow(query);
    const [rows, total] = await findPage(
      this.issues,
      {
        workspaceId: workspace.id,
        projectId: query.project_id?.toLowerCase() || undefined,
        status: query.status || undefined,
        assigneeId: query.assignee_id?.toLowerCase() || undefined,
      },
      window,
    );
    return toPage(rows, total, window, toIssueResponse);
  }

  async create(
    me: AuthPrincipal,
    workspace: Workspace,
    projectId: string,
    dto: CreateIssueRequest,
  ): Promise<IssueResponse> {
    const project = await this.projects.findInWorkspace(workspace.id, projectId);
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

  async get(workspace: Workspace, id: string): Promise<IssueResponse> {
    return toIssueResponse(await this.findInWorkspace(workspace.id, id));
  }

  async update(workspace: Workspace, id: string, dto: UpdateIssueRequest): Promise<IssueResponse> {
    const issue = await this.findInWorkspace(workspace.id, id);
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

  async remove(workspace: Workspace, id: string): Promise<void> {
    const issue = await this.findInWorkspace(workspace.id, id);
    await this.issues.delete({ id: issue.id, workspaceId: workspace.id });
  }

  private async findInWorkspace(workspaceId: string, id: string): Promise<Issue> {
    const issue = await this.issues.findOneBy({ id, workspaceId });
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
