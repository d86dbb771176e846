import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { In, Repository } from 'typeorm';
import { ProjectArea, reaches } from '../projects/project-area';
import { AuthPrincipal } from '../auth/auth-types';
import { conflict, notFound, validationFailed } from '../common/errors/api-error';
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

/** Attempts at a status change or delete that another writer keeps overtaking (then 409). */
const ATTEMPTS = 5;

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
      // The counter first: it takes the project's row lock (see issue-counts.ts), and finds a
      // project deleted since it was read.
      if (!(await countIssue(m, workspace.id, project.id, issue.status, 1))) {
        throw notFound('Project');
      }
      await m.insert(Issue, issue);
    });
    return toIssueResponse(issue);
  }

  async get(area: ProjectArea, id: string): Promise<IssueResponse> {
    return toIssueResponse(await this.findInArea(area, id));
  }

  async update(area: ProjectArea, id: string, dto: UpdateIssueRequest): Promise<IssueResponse> {
    const { workspace } = area;
    let issue = await this.findInArea(area, id);
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
    if (changes.status === undefined || changes.status === issue.status) {
      await this.issues.update({ id: issue.id, workspaceId: workspace.id }, changes);
      return toIssueResponse({ ...issue, ...changes });
    }
    // A status change moves the issue between its project's counters: the counters first (the
    // project's row lock), then the issue, only if it still has the status the move assumed;
    // if another writer changed or deleted it meanwhile, undo and read it again.
    const to = changes.status;
    for (let attempt = 1; ; attempt++) {
      const from = issue.status;
      const done = await this.db
        .transaction(async (m) => {
          await moveIssue(m, issue.projectId, from, to);
          const updated = await m.update(
            Issue,
            { id: issue.id, workspaceId: workspace.id, status: from },
            changes,
          );
          if (updated.affected === 1) {
            return true;
          }
          throw RETRY;
        })
        .catch(retryOnly);
      if (done) {
        return toIssueResponse({ ...issue, ...changes });
      }
      if (attempt >= ATTEMPTS) {
        throw conflict('The issue is being changed by another request; try again.');
      }
      issue = await this.findInArea(area, id);
    }
  }

  async remove(area: ProjectArea, id: string): Promise<void> {
    let issue = await this.findInArea(area, id);
    // As a status change: the counter first, then the issue if it still has that status.
    for (let attempt = 1; ; attempt++) {
      const { status, projectId } = issue;
      const done = await this.db
        .transaction(async (m) => {
          await countIssue(m, area.workspace.id, projectId, status, -1);
          const deleted = await m.delete(Issue, {
            id: issue.id,
            workspaceId: area.workspace.id,
            status,
          });
          if (deleted.affected === 1) {
            return true;
          }
          throw RETRY;
        })
        .catch(retryOnly);
      if (done) {
        return;
      }
      if (attempt >= ATTEMPTS) {
        throw conflict('The issue is being changed by another request; try again.');
      }
      // Gone meanwhile: 404, as if it had been gone before.
      issue = await this.findInArea(area, id);
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

/** Thrown inside a transaction to roll it back and try again. */
const RETRY = new Error('retry');

function retryOnly(error: unknown): false {
  if (error === RETRY) {
    return false;
  }
  throw error;
}
