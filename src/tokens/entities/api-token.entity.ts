import { QuotaPeriod } from '../../rate-limit/quota';
import { Column, Entity, Index, ValueTransformer } from 'typeorm';
import { Scope } from '../../auth/auth-types';
import { DateColumn, IdColumn, RefColumn } from '../../database/columns';

export const REVOKED_REASONS = [
  'manual',
  'rotated',
  'idle',
  'leaked',
  'member_removed',
  'admin',
  'service_account_deleted',
] as const;
export type RevokedReason = (typeof REVOKED_REASONS)[number];

/** Reads a list of strings kept as JSON text. */
export function readJsonList(value: string | null): string[] | null {
  return value === null ? null : (JSON.parse(value) as string[]);
}

/** A list of strings kept as JSON text, portable between MySQL and SQLite. */
export const jsonList: ValueTransformer = {
  to: (value: string[] | null | undefined) =>
    value === null || value === undefined ? value : JSON.stringify(value),
  from: readJsonList,
};

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

  /** Addresses and CIDR blocks the token may be used from (SPEC §11.1); null: anywhere. */
  @Column({ name: 'allowed_cidrs', type: 'text', nullable: true, transformer: jsonList })
  allowedCidrs!: string[] | null;

  /** Projects of its workspace the token reaches (SPEC §11.1); null: all, []: none. */
  @Column({ name: 'project_ids', type: 'text', nullable: true, transformer: jsonList })
  projectIds!: string[] | null;

  /** Requests per UTC `quotaPeriod` (SPEC §11.1); null: no quota. */
  @Column({ name: 'quota_limit', type: 'int', nullable: true })
  quotaLimit!: number | null;

  @Column({ name: 'quota_period', type: 'varchar', length: 8, nullable: true })
  quotaPeriod!: QuotaPeriod | null;

  @DateColumn('expires_at')
  expiresAt!: Date;

  @DateColumn('last_used_at', { nullable: true })
  lastUsedAt!: Date | null;

  @Column({ name: 'last_used_ip', type: 'varchar', length: 45, nullable: true })
  lastUsedIp!: string | null;

  /** In the future while a rotated token is in its grace period. */
  @DateColumn('revoked_at', { nullable: true })
  revokedAt!: Date | null;

  /** Why it was revoked (SPEC §11.4); null while it is not. */
  @Column({ name: 'revoked_reason', type: 'varchar', length: 32, nullable: true })
  revokedReason!: RevokedReason | null;

  /**
   * How far its expiry notices have gone (SPEC §11.4): 0 none, 1 the 7-day notice, 2 the 1-day
   * notice, 3 token.expired. Each is sent once; notice points that passed before the token
   * existed are skipped.
   */
  @Column({ name: 'expiry_notice_stage', type: 'int', default: 0, select: false })
  expiryNoticeStage!: number;

  /** The token that replaced this one on rotation. */
  @RefColumn('replaced_by_id', { nullable: true })
  replacedById!: string | null;

  @DateColumn('created_at')
  createdAt!: Date;
}
