import { Column, Entity, Index } from 'typeorm';
import { Scope } from '../../auth/auth-types';
import { DateColumn, IdColumn, RefColumn } from '../../database/columns';

/**
 * One access token and its refresh token. Refreshing creates a new row in the same family and
 * marks this one's refresh token used; presenting a used refresh token again revokes the family.
 */
@Entity('oauth_tokens')
@Index('idx_oauth_tokens_family', ['familyId'])
export class OAuthToken {
  @IdColumn()
  id!: string;

  @Column({ name: 'access_token_hash', type: 'varchar', length: 64, unique: true })
  accessTokenHash!: string;

  @Column({ name: 'refresh_token_hash', type: 'varchar', length: 64, unique: true, nullable: true })
  refreshTokenHash!: string | null;

  @RefColumn('application_id')
  applicationId!: string;

  @RefColumn('user_id')
  userId!: string;

  @Column({ type: 'simple-array' })
  scopes!: Scope[];

  /** The authorization code the family started from. */
  @RefColumn('family_id')
  familyId!: string;

  @DateColumn('access_expires_at')
  accessExpiresAt!: Date;

  @DateColumn('refresh_expires_at', { nullable: true })
  refreshExpiresAt!: Date | null;

  @DateColumn('refresh_used_at', { nullable: true })
  refreshUsedAt!: Date | null;

  @DateColumn('revoked_at', { nullable: true })
  revokedAt!: Date | null;

  @DateColumn('created_at')
  createdAt!: Date;
}
