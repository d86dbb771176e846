import { Column, Entity, Index } from 'typeorm';
import { DateColumn, IdColumn, RefColumn } from '../../database/columns';
import { PublicUserType } from '../../users/entities/user.entity';

type AuditValue = string | number | boolean | null | string[];
// One level of nesting, for before/after pairs of a change.
export type AuditMetadata = Record<string, AuditValue | Record<string, AuditValue>>;

@Entity('audit_events')
@Index('idx_audit_events_workspace', ['workspaceId', 'createdAt'])
@Index('idx_audit_events_created', ['createdAt'])
export class AuditEvent {
  @IdColumn()
  id!: string;

  @RefColumn('workspace_id', { nullable: true })
  workspaceId!: string | null;

  @RefColumn('actor_id', { nullable: true })
  actorId!: string | null;

  /** What the actor was when the event happened: a person or a service account. */
  @Column({ name: 'actor_type', type: 'varchar', length: 16, nullable: true })
  actorType!: PublicUserType | null;

  @RefColumn('impersonator_id', { nullable: true })
  impersonatorId!: string | null;

  @Column({ type: 'varchar', length: 64 })
  action!: string;

  @Column({ name: 'target_type', type: 'varchar', length: 32, nullable: true })
  targetType!: string | null;

  @RefColumn('target_id', { nullable: true })
  targetId!: string | null;

  @Column({ type: 'varchar', length: 45, nullable: true })
  ip!: string | null;

  @Column({ name: 'user_agent', type: 'varchar', length: 255, nullable: true })
  userAgent!: string | null;

  @Column({ type: 'simple-json', nullable: true })
  metadata!: AuditMetadata | null;

  @DateColumn('created_at')
  createdAt!: Date;
}
