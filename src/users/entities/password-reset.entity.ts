import { Column, Entity } from 'typeorm';
import { DateColumn, IdColumn, RefColumn } from '../../database/columns';

/** A one-time password reset link (SPEC §12): only the SHA-256 of its secret is kept. */
@Entity('password_resets')
export class PasswordReset {
  @IdColumn()
  id!: string;

  @Column({ name: 'secret_hash', type: 'varchar', length: 64 })
  secretHash!: string;

  @RefColumn('user_id')
  userId!: string;

  /** The admin who made the link. */
  @RefColumn('created_by', { nullable: true })
  createdBy!: string | null;

  @DateColumn('created_at')
  createdAt!: Date;

  @DateColumn('expires_at')
  expiresAt!: Date;

  @DateColumn('used_at', { nullable: true })
  usedAt!: Date | null;
}
