import { Column, Entity, Index } from 'typeorm';
import { DateColumn, IdColumn, RefColumn } from '../../database/columns';

export const ISSUE_STATUSES = ['open', 'in_progress', 'done', 'closed'] as const;
export type IssueStatus = (typeof ISSUE_STATUSES)[number];

export const ISSUE_PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export type IssuePriority = (typeof ISSUE_PRIORITIES)[number];

@Entity('issues')
@Index('idx_issues_workspace_project', ['workspaceId', 'projectId', 'createdAt', 'id'])
@Index('idx_issues_project_status', ['workspaceId', 'projectId', 'status', 'createdAt', 'id'])
@Index('idx_issues_workspace_status', ['workspaceId', 'status', 'createdAt', 'id'])
@Index('idx_issues_workspace_assignee', ['workspaceId', 'assigneeId', 'createdAt', 'id'])
export class Issue {
  @IdColumn()
  id!: string;

  @RefColumn('workspace_id')
  workspaceId!: string;

  @RefColumn('project_id')
  projectId!: string;

  @Column({ type: 'varchar', length: 255 })
  subject!: string;

  @Column({ type: 'text', nullable: true })
  description!: string | null;

  @Column({ type: 'varchar', length: 16, default: 'open' })
  status!: IssueStatus;

  @Column({ type: 'varchar', length: 16, default: 'normal' })
  priority!: IssuePriority;

  @RefColumn('assignee_id', { nullable: true })
  assigneeId!: string | null;

  @RefColumn('author_id')
  authorId!: string;

  @DateColumn('created_at')
  createdAt!: Date;

  @DateColumn('updated_at')
  updatedAt!: Date;
}
