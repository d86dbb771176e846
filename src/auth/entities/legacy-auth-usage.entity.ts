import { Column, Entity, PrimaryColumn } from 'typeorm';
import { DateColumn } from '../../database/columns';

/** Who still authenticates with X-AUTH-USER/X-AUTH-TOKEN, for the migration report (SPEC §4.5). */
@Entity('legacy_auth_usage')
export class LegacyAuthUsage {
  @PrimaryColumn({ name: 'user_id', type: 'varchar', length: 36 })
  userId!: string;

  @Column({ name: 'use_count', type: 'int', default: 0 })
  useCount!: number;

  @DateColumn('first_used_at')
  firstUsedAt!: Date;

  @DateColumn('last_used_at')
  lastUsedAt!: Date;

  @Column({ name: 'last_ip', type: 'varchar', length: 45, nullable: true })
  lastIp!: string | null;

  @Column({ name: 'last_user_agent', type: 'varchar', length: 255, nullable: true })
  lastUserAgent!: string | null;
}
