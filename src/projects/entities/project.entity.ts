import { Column, Entity, Index } from 'typeorm';
import { DateColumn, IdColumn, RefColumn } from '../../database/columns';

@Entity('projects')
@Index('uq_projects_workspace_identifier', ['workspaceId', 'identifier'], { unique: true })
export class Project {
  @IdColumn()
  id!: string;

  @RefColumn('workspace_id')
  workspaceId!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ type: 'varchar', length: 100 })
  identifier!: string;

  @Column({ type: 'text', nullable: true })
  description!: string | null;

  // How many of the project's issues are in each status (migration 1764950000000): changed only
  // in the transactions of src/issues/issue-counts.ts, never through the entity.
  @Column({ name: 'issues_open', type: 'int', default: 0, insert: false, update: false })
  issuesOpen!: number;

  @Column({ name: 'issues_in_progress', type: 'int', default: 0, insert: false, update: false })
  issuesInProgress!: number;

  @Column({ name: 'issues_done', type: 'int', default: 0, insert: false, update: false })
  issuesDone!: number;

  @Column({ name: 'issues_closed', type: 'int', default: 0, insert: false, update: false })
  issuesClosed!: number;

  @DateColumn('created_at')
  createdAt!: Date;

  @DateColumn('updated_at')
  updatedAt!: Date;
}
