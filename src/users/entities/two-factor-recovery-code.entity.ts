import { Column, Entity } from 'typeorm';
import { DateColumn, IdColumn, RefColumn } from '../../database/columns';

/** One single-use 2FA recovery code (SPEC §12), kept only as a SHA-256 hash. */
@Entity('two_factor_recovery_codes')
export class TwoFactorRecoveryCode {
  @IdColumn()
  id!: string;

  @RefColumn('user_id')
  userId!: string;

  @Column({ name: 'code_hash', type: 'varchar', length: 64 })
  codeHash!: string;

  @DateColumn('used_at', { nullable: true })
  usedAt!: Date | null;

  @DateColumn('created_at')
  createdAt!: Date;
}
