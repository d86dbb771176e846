import { Column, Entity } from 'typeorm';
import { BillingStatus, Plan } from '../roles-and-plans';
import { DateColumn, IdColumn } from '../../database/columns';

@Entity('workspaces')
export class Workspace {
  @IdColumn()
  id!: string;

  @Column({ type: 'varchar', length: 120 })
  name!: string;

  @Column({ type: 'varchar', length: 16, default: 'free' })
  plan!: Plan;

  @Column({ name: 'billing_status', type: 'varchar', length: 16, default: 'active' })
  billingStatus!: BillingStatus;

  @Column({ name: 'token_packs', type: 'int', default: 0 })
  tokenPacks!: number;

  @DateColumn('created_at')
  createdAt!: Date;

  @DateColumn('updated_at')
  updatedAt!: Date;
}
