import { Column, Entity, PrimaryColumn } from 'typeorm';
import { DateColumn } from '../../database/columns';

/** Who may run a scheduled job, until when (SPEC §11.4: each job runs once across instances). */
@Entity('scheduler_leases')
export class SchedulerLease {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  job!: string;

  @Column({ type: 'varchar', length: 64, nullable: true })
  holder!: string | null;

  @DateColumn('lease_until', { nullable: true })
  leaseUntil!: Date | null;

  @DateColumn('last_run_at', { nullable: true })
  lastRunAt!: Date | null;
}
