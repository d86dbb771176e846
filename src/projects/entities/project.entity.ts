import { Column, Entity, Index } from 'typeorm';
import { DateColumn, IdColumn, RefColumn } from '../../database/columns';

@Entity('projects')
@Index('uq_projects_workspace_identifier', ['workspaceId', 'identifier'], { unique: true })
@Index('idx_projects_workspace_created', ['workspaceId', 'createdAt', 'id'])
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

  @DateColumn('created_at')
  createdAt!: Date;

  @DateColumn('updated_at')
  updatedAt!: Date;
}
