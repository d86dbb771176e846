import { Column, Entity, Index } from 'typeorm';
import { DateColumn, IdColumn, RefColumn } from '../../database/columns';

/** The token lifecycle events of SPEC §11.4, which webhooks and e-mail announce. */
export const EVENT_TYPES = [
  'token.created',
  'token.revoked',
  'token.expiring',
  'token.expired',
  'token.leaked',
  'token.ip_denied',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** What an event says, as sent in a delivery's `data` (JSON). */
export type EventData = Record<string, unknown>;

/**
 * The outbox: one row per event, written in the same transaction as the change that caused it,
 * so that a crash between the two can neither lose nor invent an event. Deliveries (webhooks,
 * e-mail) are made from these rows by background workers, never on the request path.
 */
@Entity('lifecycle_events')
@Index('idx_lifecycle_events_workspace', ['workspaceId', 'createdAt'])
@Index('idx_lifecycle_events_created', ['createdAt'])
@Index('idx_lifecycle_events_mail', ['mailedAt', 'createdAt'])
export class LifecycleEvent {
  @IdColumn()
  id!: string;

  @Column({ type: 'varchar', length: 64 })
  type!: EventType;

  @RefColumn('workspace_id', { nullable: true })
  workspaceId!: string | null;

  @Column({ type: 'simple-json' })
  data!: EventData;

  @DateColumn('created_at')
  createdAt!: Date;

  /** When the notice went to the token's owner by e-mail (token.expiring, token.leaked). */
  @DateColumn('mailed_at', { nullable: true })
  mailedAt!: Date | null;

  @Column({ name: 'mail_attempts', type: 'int', default: 0 })
  mailAttempts!: number;

  /**
   * When the webhook worker made this event's deliveries (migration 1764900000010); null until
   * then. Never written by whoever records the event.
   */
  @DateColumn('fanned_out_at', { nullable: true, select: false, insert: false })
  fannedOutAt!: Date | null;
}
