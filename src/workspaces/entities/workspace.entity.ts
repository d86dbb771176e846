import { Column, Entity, ValueTransformer } from 'typeorm';
import { Scope, SCOPES } from '../../auth/auth-types';
import { BillingStatus, Plan } from '../roles-and-plans';
import { DateColumn, IdColumn } from '../../database/columns';

/** Scopes kept as comma-separated text in a short column (it carries a default on MySQL too). */
const scopeList: ValueTransformer = {
  to: (value: readonly Scope[] | undefined) =>
    value === undefined ? value : SCOPES.filter((s) => value.includes(s)).join(','),
  from: (value: string | null): Scope[] =>
    SCOPES.filter((s) => (value ?? '').split(',').includes(s)),
};

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

  // The workspace's token policy (SPEC §11.3), loaded with the workspace the guards cache, so
  // that checking a token against it costs no query. Read it through tokenPolicyOf().

  /** Longest lifetime of a new token, in days; null: the instance maximum. */
  @Column({ name: 'token_max_lifetime_days', type: 'int', nullable: true })
  tokenMaxLifetimeDays!: number | null;

  /** Scopes a token may carry; all four by default. */
  @Column({
    name: 'token_allowed_scopes',
    type: 'varchar',
    length: 32,
    default: SCOPES.join(','),
    transformer: scopeList,
  })
  tokenAllowedScopes!: Scope[];

  /** Every token must carry an address allow-list (allowed_cidrs). */
  @Column({ name: 'token_require_allowed_cidrs', type: 'boolean', default: false })
  tokenRequireAllowedCidrs!: boolean;

  /** Tokens unused this many days are to be revoked (7–365); null: never. Stored only, for now. */
  @Column({ name: 'token_idle_revoke_days', type: 'int', nullable: true })
  tokenIdleRevokeDays!: number | null;

  @DateColumn('created_at')
  createdAt!: Date;

  @DateColumn('updated_at')
  updatedAt!: Date;
}
