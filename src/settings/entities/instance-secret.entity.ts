import { Column, Entity, PrimaryColumn } from 'typeorm';
import { DateColumn } from '../../database/columns';

/** Instance-wide generated secrets (the session cookie key), shared by every instance. */
@Entity('instance_secrets')
export class InstanceSecret {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  name!: string;

  @Column({ type: 'varchar', length: 255 })
  value!: string;

  @DateColumn('created_at')
  createdAt!: Date;
}
