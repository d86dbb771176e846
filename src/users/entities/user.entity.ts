import { Column, Entity } from 'typeorm';
import { DateColumn, IdColumn } from '../../database/columns';

export const USER_STATUSES = ['active', 'locked'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

/** A person, or a service account (SPEC §11.5): a non-human member of one workspace. */
export const USER_TYPES = ['human', 'service_account'] as const;
export type UserType = (typeof USER_TYPES)[number];

/** How the API names a user's type (`/me`, user and audit objects): `user` for a person. */
export type PublicUserType = 'user' | 'service_account';

export function publicUserType(type: UserType): PublicUserType {
  return type === 'human' ? 'user' : 'service_account';
}

@Entity('users')
export class User {
  @IdColumn()
  id!: string;

  @Column({ type: 'varchar', length: 64, unique: true })
  username!: string;

  /** The login as compared everywhere: NFKC, lower case (src/users/login-key.ts); unique. */
  @Column({ name: 'login_key', type: 'varchar', length: 255, unique: true, select: false })
  loginKey!: string;

  @Column({ type: 'varchar', length: 255, unique: true })
  email!: string;

  /** null: no password at all, so none can match (service accounts). */
  @Column({ name: 'password_hash', type: 'varchar', length: 255, nullable: true, select: false })
  passwordHash!: string | null;

  @Column({ type: 'varchar', length: 16, default: 'human' })
  type!: UserType;

  @Column({ name: 'is_admin', type: 'boolean', default: false })
  isAdmin!: boolean;

  @Column({ type: 'varchar', length: 16, default: 'active' })
  status!: UserStatus;

  @Column({
    name: 'legacy_api_password_hash',
    type: 'varchar',
    length: 255,
    nullable: true,
    select: false,
  })
  legacyApiPasswordHash!: string | null;

  /** Sealed with the at-rest key (src/settings/at-rest-encryption.service.ts). */
  @Column({ name: 'totp_secret', type: 'varchar', length: 255, nullable: true, select: false })
  totpSecret!: string | null;

  @DateColumn('totp_enabled_at', { nullable: true })
  totpEnabledAt!: Date | null;

  /** The last 30-second TOTP step a code was accepted for; a step is accepted once. */
  @Column({
    name: 'totp_last_step',
    type: 'bigint',
    nullable: true,
    select: false,
    // bigint comes back as a string from mysql2; steps fit a double for millions of years.
    transformer: {
      to: (value: number | null) => value,
      from: (value: string | number | null) => (value === null ? null : Number(value)),
    },
  })
  totpLastStep!: number | null;

  @DateColumn('created_at')
  createdAt!: Date;

  @DateColumn('updated_at')
  updatedAt!: Date;
}
