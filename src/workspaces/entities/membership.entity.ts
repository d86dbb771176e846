import { Column, Entity, Index } from 'typeorm';
import { Role } from '../roles-and-plans';
import { DateColumn, IdColumn, RefColumn } from '../../database/columns';

@Entity('memberships')
@Index('uq_memberships_workspace_user', ['workspaceId', 'userId'], { unique: true })
export class Membership {
  @IdColumn()
  id!: string;

  @RefColumn('workspace_id')
  workspaceId!: string;

  @RefColumn('user_id')
  userId!: string;

  @Column({ type: 'varchar', length: 16 })
  role!: Role;

  @DateColumn('created_at')
  createdAt!: Date;

  @DateColumn('updated_at')
  updatedAt!: Date;
}
