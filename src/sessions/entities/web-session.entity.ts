import { Column, Entity, JoinColumn, ManyToOne } from 'typeorm';
import { DateColumn, IdColumn, RefColumn } from '../../database/columns';
import { User } from '../../users/entities/user.entity';

/** A signed-in browser (SPEC §12): the cookie holds a random secret, this row its SHA-256. */
@Entity('web_sessions')
export class WebSession {
  @IdColumn()
  id!: string;

  @Column({ name: 'secret_hash', type: 'varchar', length: 64 })
  secretHash!: string;

  @RefColumn('user_id')
  userId!: string;

  @ManyToOne(() => User, { createForeignKeyConstraints: false })
  @JoinColumn({ name: 'user_id' })
  user?: User;

  @DateColumn('created_at')
  createdAt!: Date;

  /** Written at most once a minute, not on every request. */
  @DateColumn('last_seen_at')
  lastSeenAt!: Date;

  /** Absolute end: SESSION_HOURS after sign-in, however often the session is used. */
  @DateColumn('expires_at')
  expiresAt!: Date;

  /** The last time the user typed their password in this session (sign-in or sudo mode). */
  @DateColumn('authenticated_at')
  authenticatedAt!: Date;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ip!: string | null;

  @Column({ name: 'user_agent', type: 'varchar', length: 255, nullable: true })
  userAgent!: string | null;
}
