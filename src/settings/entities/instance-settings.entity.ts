import { Column, Entity, PrimaryColumn } from 'typeorm';
import { DateColumn } from '../../database/columns';

// One row (id = 1) of instance-wide switches that admins steer at run time (SPEC §8).
@Entity('instance_settings')
export class InstanceSettings {
  @PrimaryColumn({ type: 'int' })
  id!: number;

  @Column({ name: 'rest_api_enabled', type: 'boolean', default: true })
  restApiEnabled!: boolean;

  @Column({ name: 'allow_query_key', type: 'boolean', default: true })
  allowQueryKey!: boolean;

  @Column({ name: 'allow_basic_password', type: 'boolean', default: true })
  allowBasicPassword!: boolean;

  @Column({ name: 'legacy_auth_enabled', type: 'boolean', default: true })
  legacyAuthEnabled!: boolean;

  @DateColumn('legacy_auth_sunset_at', { nullable: true })
  legacyAuthSunsetAt!: Date | null;

  @Column({ name: 'max_token_lifetime_days', type: 'int', default: 365 })
  maxTokenLifetimeDays!: number;

  @DateColumn('updated_at')
  updatedAt!: Date;
}
