import { Column, Entity, Index } from 'typeorm';
import { Scope } from '../../auth/auth-types';
import { DateColumn, IdColumn, RefColumn } from '../../database/columns';

@Entity('api_tokens')
@Index('idx_api_tokens_workspace', ['workspaceId', 'revokedAt', 'expiresAt'])
@Index('idx_api_tokens_user', ['userId'])
export class ApiToken {
  @IdColumn()
  id!: string;

  @RefColumn('user_id')
  userId!: string;

  /** null for instance tokens (instance admins' automation). */
  @RefColumn('workspace_id', { nullable: true })
  workspaceId!: string | null;

  @Column({ type: 'varchar', length: 100 })
  name!: string;

  @Column({ name: 'token_prefix', type: 'varchar', length: 16 })
  tokenPrefix!: string;

  @Column({ name: 'token_hash', type: 'varchar', length: 64, unique: true, select: false })
  tokenHash!: string;

  @Column({ type: 'simple-array' })
  scopes!: Scope[];

  /** Requests per rate-limit window; null: the instance default (RATE_LIMIT_REQUESTS). */
  @Column({ name: 'rate_limit', type: 'int', nullable: true })
  rateLimit!: number | null;

  @DateColumn('expires_at')
  expiresAt!: Date;

  @DateColumn('last_used_at', { nullable: true })
  lastUsedAt!: Date | null;

  @Column({ name: 'last_used_ip', type: 'varchar', length: 45, nullable: true })
  lastUsedIp!: string | null;

  /** In the future while a rotated token is in its grace period. */
  @DateColumn('revoked_at', { nullable: true })
  revokedAt!: Date | null;

  /** The token that replaced this one on rotation. */
  @RefColumn('replaced_by_id', { nullable: true })
  replacedById!: string | null;

  @DateColumn('created_at')
  createdAt!: Date;
}
