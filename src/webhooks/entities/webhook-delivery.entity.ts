import { Column, Entity, Index } from 'typeorm';
import { DateColumn, IdColumn, RefColumn } from '../../database/columns';
import { EventType } from '../../events/entities/lifecycle-event.entity';

export const DELIVERY_STATES = ['pending', 'delivered', 'failed'] as const;
/** pending: an attempt is due at next_attempt_at; failed: given up after the last attempt. */
export type DeliveryState = (typeof DELIVERY_STATES)[number];

/**
 * The delivery outbox: one row per (webhook, event), made when the event is fanned out and
 * kept until the webhook is deleted. A worker claims a due row by a conditional update of
 * `claimed_until` (a lease), so two instances never send the same attempt.
 */
@Entity('webhook_deliveries')
@Index('uq_webhook_deliveries_webhook_event', ['webhookId', 'eventId'], { unique: true })
@Index('idx_webhook_deliveries_webhook_created', ['webhookId', 'createdAt'])
@Index('idx_webhook_deliveries_due', ['state', 'nextAttemptAt'])
export class WebhookDelivery {
  @IdColumn()
  id!: string;

  @RefColumn('webhook_id')
  webhookId!: string;

  @RefColumn('event_id')
  eventId!: string;

  @Column({ name: 'event_type', type: 'varchar', length: 64 })
  eventType!: EventType;

  @Column({ type: 'varchar', length: 16 })
  state!: DeliveryState;

  @Column({ type: 'int', default: 0 })
  attempts!: number;

  @DateColumn('next_attempt_at', { nullable: true })
  nextAttemptAt!: Date | null;

  @Column({ name: 'last_status_code', type: 'int', nullable: true })
  lastStatusCode!: number | null;

  @Column({ name: 'last_error', type: 'varchar', length: 500, nullable: true })
  lastError!: string | null;

  @DateColumn('last_attempt_at', { nullable: true })
  lastAttemptAt!: Date | null;

  @DateColumn('delivered_at', { nullable: true })
  deliveredAt!: Date | null;

  @DateColumn('claimed_until', { nullable: true })
  claimedUntil!: Date | null;

  @Column({ name: 'claimed_by', type: 'varchar', length: 64, nullable: true })
  claimedBy!: string | null;

  @DateColumn('created_at')
  createdAt!: Date;
}
