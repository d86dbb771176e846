import { Column, Entity } from 'typeorm';
import { Scope } from '../../auth/auth-types';
import { DateColumn, IdColumn, RefColumn } from '../../database/columns';

@Entity('oauth_authorization_codes')
export class OAuthAuthorizationCode {
  @IdColumn()
  id!: string;

  @Column({ name: 'code_hash', type: 'varchar', length: 64, unique: true })
  codeHash!: string;

  @RefColumn('application_id')
  applicationId!: string;

  @RefColumn('user_id')
  userId!: string;

  @Column({ name: 'redirect_uri', type: 'varchar', length: 2000 })
  redirectUri!: string;

  @Column({ type: 'simple-array' })
  scopes!: Scope[];

  @Column({ name: 'code_challenge', type: 'varchar', length: 128, nullable: true })
  codeChallenge!: string | null;

  @Column({ name: 'code_challenge_method', type: 'varchar', length: 10, nullable: true })
  codeChallengeMethod!: string | null;

  @DateColumn('expires_at')
  expiresAt!: Date;

  /** Set when exchanged: codes are single-use. */
  @DateColumn('consumed_at', { nullable: true })
  consumedAt!: Date | null;

  @DateColumn('created_at')
  createdAt!: Date;
}
