import { Column, Entity, Index } from 'typeorm';
import { DateColumn, IdColumn, RefColumn } from '../../database/columns';

/**
 * A service account (SPEC §11.5): its `users` row (type `service_account`, no password) and,
 * here, the one workspace it belongs to, its display name and its history. The row stays when
 * the account is deleted, so that its tokens and audit events keep naming it.
 */
@Entity('service_accounts')
@Index('idx_service_accounts_workspace', ['workspaceId', 'deletedAt'])
export class ServiceAccount {
  /** The service account's users.id. */
  @IdColumn()
  id!: string;

  @RefColumn('workspace_id')
  workspaceId!: string;

  @Column({ type: 'varchar', length: 120 })
  name!: string;

  @RefColumn('created_by', { nullable: true })
  createdBy!: string | null;

  @DateColumn('created_at')
  createdAt!: Date;

  @RefColumn('deleted_by', { nullable: true })
  deletedBy!: string | null;

  @DateColumn('deleted_at', { nullable: true })
  deletedAt!: Date | null;
}
