import { Column, Entity } from 'typeorm';
import { Scope } from '../../auth/auth-types';
import { DateColumn, IdColumn, RefColumn } from '../../database/columns';

/** A third-party application registered by an instance admin (SPEC §9). */
@Entity('oauth_applications')
export class OAuthApplication {
  @IdColumn()
  id!: string;

  @Column({ type: 'varchar', length: 120 })
  name!: string;

  @Column({ name: 'client_id', type: 'varchar', length: 64, unique: true })
  clientId!: string;

  /** SHA-256 of the client secret; null for public clients. */
  @Column({
    name: 'client_secret_hash',
    type: 'varchar',
    length: 64,
    nullable: true,
    select: false,
  })
  clientSecretHash!: string | null;

  @Column({ name: 'redirect_uris', type: 'simple-json' })
  redirectUris!: string[];

  @Column({ type: 'simple-array' })
  scopes!: Scope[];

  @Column({ type: 'boolean', default: true })
  confidential!: boolean;

  @RefColumn('created_by', { nullable: true })
  createdBy!: string | null;

  @DateColumn('created_at')
  createdAt!: Date;
}
