import { ApiProperty } from '@nestjs/swagger';
import { PaginationQuery } from '../../common/http/pagination';
import { EVENT_TYPES, EventType } from '../../events/entities/lifecycle-event.entity';
import {
  DELIVERY_STATES,
  DeliveryState,
  WebhookDelivery,
} from '../entities/webhook-delivery.entity';

export class ListDeliveriesQuery extends PaginationQuery {}

export class WebhookDeliveryResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid', description: 'The event’s id, sent as Tessera-Event-Id.' })
  event_id!: string;
  @ApiProperty({ enum: EVENT_TYPES }) event_type!: EventType;
  @ApiProperty({
    enum: DELIVERY_STATES,
    description: 'pending (an attempt is due at next_attempt_at), delivered, or failed (given up).',
  })
  state!: DeliveryState;
  @ApiProperty({ type: 'integer' }) attempts!: number;
  @ApiProperty({ type: 'integer', nullable: true, description: 'The last response’s status.' })
  last_status_code!: number | null;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Why the last attempt failed without a response (timeout, refused address…).',
  })
  last_error!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  last_attempt_at!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  next_attempt_at!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  delivered_at!: string | null;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
}

export class WebhookDeliveryListResponse {
  @ApiProperty({ type: [WebhookDeliveryResponse] }) data!: WebhookDeliveryResponse[];
  @ApiProperty({ type: 'integer' }) total_count!: number;
  @ApiProperty({ type: 'integer' }) offset!: number;
  @ApiProperty({ type: 'integer' }) limit!: number;
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function toDeliveryResponse(d: WebhookDelivery): WebhookDeliveryResponse {
  return {
    id: d.id,
    event_id: d.eventId,
    event_type: d.eventType,
    state: d.state,
    attempts: d.attempts,
    last_status_code: d.lastStatusCode,
    last_error: d.lastError,
    last_attempt_at: iso(d.lastAttemptAt),
    next_attempt_at: iso(d.nextAttemptAt),
    delivered_at: iso(d.deliveredAt),
    created_at: d.createdAt.toISOString(),
  };
}
