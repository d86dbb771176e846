import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { EntityManager, In, Repository } from 'typeorm';
import { ProjectArea, reaches } from '../projects/project-area';
import { AuthPrincipal } from '../auth/auth-types';
import { notFound, validationFailed } from '../common/errors/api-error';
import { Page, pageWindow, toPage } from '../common/http/pagination';
import { DatabaseService } from '../database/database.service';
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
import { countedTotal, countIssue, moveIssue } from './issue-counts';

@Injectable()
export class IssuesService {
  constructor(
    @InjectRepository(Issue) private readonly issues: Repository<Issue>,
    @InjectRepository(Membership) private readonly memberships: Repository<Membership>,
    private readonly projects: ProjectsService,
    private readonly db: DatabaseService,
  ) {}

  async list(area: ProjectArea, query: ListIssuesQuery): Promise<Page<IssueResponse>> {
    const window = pageWindow(query);
    const wanted = query.project_id?.toLowerCase() || undefined;
    const workspaceId = area.workspace.id;
    // A project outside the area filters to nothing (an empty list), like an unknown one.
    const projectId =
      wanted === undefined ? (area.projectIds ?? undefined) : reaches(area, wanted) ? wanted : [];
    const status = query.status || undefined;
    const assigneeId = query.assignee_id?.toLowerCase() || undefined;
    const [rows, total] = await findPage(
      this.issues,
      { workspaceId, projectId, status, assigneeId },
      window,
      // The exact total from the projects' counters where they keep it, else a COUNT.
      countedTotal({ workspaceId, projectIds: projectId, status, assigneeId }),
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
    await this.db.transaction(async (m) => {
      // The project may have been deleted since it was read: then 404, as if it had been.
      await this.lockProject(m, workspace.id, project.id);
      await m.insert(Issue, issue);
      await countIssue(m, project.id, issue.status, 1);
    });
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
    const to = changes.status;
    if (to === undefined) {
      await this.issues.update({ id: issue.id, workspaceId: workspace.id }, changes);
      return toIssueResponse({ ...issue, ...changes });
    }
    // A PATCH with a status moves the issue between its project's counters, from the status it
    // has under its row lock (lock order: issue-counts.ts).
    return this.db.transaction(async (m) => {
      const current = await this.lockInProject(m, area, issue);
      if (current.status !== to) {
        await moveIssue(m, current.projectId, current.status, to);
      }
      await m.update(Issue, { id: current.id, workspaceId: workspace.id }, changes);
      return toIssueResponse({ ...current, ...changes });
    });
  }

  async remove(area: ProjectArea, id: string): Promise<void> {
    const issue = await this.findInArea(area, id);
    await this.db.transaction(async (m) => {
      const current = await this.lockInProject(m, area, issue);
      await countIssue(m, current.projectId, current.status, -1);
      await m.delete(Issue, { id: current.id, workspaceId: area.workspace.id });
    });
  }

  /**
   * In a transaction: locks the issue's project (shared), then the issue, and returns the issue
   * as it is now (another request may have changed its status, or deleted it: then 404, as if
   * it had been gone before). What it reads stays true until the transaction ends.
   */
  private async lockInProject(m: EntityManager, area: ProjectArea, issue: Issue): Promise<Issue> {
    await this.lockProject(m, area.workspace.id, issue.projectId, 'Issue');
    const current = await this.db.lockForUpdate(m, Issue, issue.id);
    if (!current || current.workspaceId !== area.workspace.id) {
      throw notFound('Issue');
    }
    return current;
  }

  /**
   * A shared lock of the project's row (MariaDB; SQLite has one writer): the project cannot be
   * deleted until the transaction ends, and its issues' writers do not wait for each other.
   */
  private async lockProject(
    m: EntityManager,
    workspaceId: string,
    projectId: string,
    missing: 'Project' | 'Issue' = 'Project',
  ): Promise<void> {
    const rows = await m.query<unknown[]>(
      `SELECT id FROM projects WHERE id = ? AND workspace_id = ?${this.db.isMysql ? ' LOCK IN SHARE MODE' : ''}`,
      [projectId, workspaceId],
    );
    if (rows.length === 0) {
      throw notFound(missing);
    }
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
