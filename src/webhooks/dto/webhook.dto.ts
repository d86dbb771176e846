import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMinSize,
  ArrayUnique,
  buildMessage,
  IsArray,
  IsBoolean,
  IsIn,
  IsString,
  ValidateBy,
  ValidationOptions,
} from 'class-validator';
import { PaginationQuery } from '../../common/http/pagination';
import { IsOptionalNotNull, MaxChars } from '../../common/http/validation';
import { EVENT_TYPES, EventType } from '../../events/entities/lifecycle-event.entity';
import { Webhook } from '../entities/webhook.entity';
import { shownWebhookUrl } from '../webhook-url';

export const MAX_WEBHOOK_URL_LENGTH = 2048;

/** An absolute http(s) URL with a host; whether the host's address is allowed is the service's. */
export function isWebhookUrl(value: unknown): boolean {
  if (typeof value !== 'string') {
    return false;
  }
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.hostname !== '';
  } catch {
    return false;
  }
}

const IsWebhookUrl = (options?: ValidationOptions): PropertyDecorator =>
  ValidateBy(
    {
      name: 'isWebhookUrl',
      validator: {
        validate: isWebhookUrl,
        defaultMessage: buildMessage(
          (each) => `${each}$property must be an absolute https:// or http:// URL`,
          options,
        ),
      },
    },
    options,
  );

export class CreateWebhookRequest {
  @ApiProperty({
    maxLength: MAX_WEBHOOK_URL_LENGTH,
    example: 'https://hooks.example.com/tessera',
    description:
      'Where events are POSTed (https or http). User-info (https://user:password@host/…) is sent as Basic credentials; its password is stored encrypted and never shown again (a password of *** is the masked form: write it %2A%2A%2A). Refused (400 webhook_url_not_allowed) when its host is or resolves to a loopback, private, link-local or metadata address.',
  })
  @IsString()
  @MaxChars(MAX_WEBHOOK_URL_LENGTH)
  @IsWebhookUrl()
  url!: string;

  @ApiProperty({ enum: EVENT_TYPES, isArray: true, example: ['token.created', 'token.revoked'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayUnique()
  @IsIn(EVENT_TYPES, { each: true })
  events!: EventType[];

  @ApiPropertyOptional({ default: true, description: 'Inactive webhooks receive nothing.' })
  @IsOptionalNotNull()
  @IsBoolean()
  active?: boolean;
}

export class UpdateWebhookRequest {
  @ApiPropertyOptional({
    maxLength: MAX_WEBHOOK_URL_LENGTH,
    description:
      'As on creation. The URL as shown (user:***@…) keeps the stored password; *** with any other change to the URL is refused (400 validation_failed).',
  })
  @IsOptionalNotNull()
  @IsString()
  @MaxChars(MAX_WEBHOOK_URL_LENGTH)
  @IsWebhookUrl()
  url?: string;

  @ApiPropertyOptional({ enum: EVENT_TYPES, isArray: true })
  @IsOptionalNotNull()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayUnique()
  @IsIn(EVENT_TYPES, { each: true })
  events?: EventType[];

  @ApiPropertyOptional()
  @IsOptionalNotNull()
  @IsBoolean()
  active?: boolean;
}

export class ListWebhooksQuery extends PaginationQuery {}

export class WebhookResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) workspace_id!: string;
  @ApiProperty({
    description:
      'Where events are POSTed; a password in its user-info is shown as *** (http://user:***@host/x).',
  })
  url!: string;
  @ApiProperty({ enum: EVENT_TYPES, isArray: true }) events!: EventType[];
  @ApiProperty() active!: boolean;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ format: 'date-time' }) updated_at!: string;
}

export class CreatedWebhookResponse extends WebhookResponse {
  @ApiProperty({
    description:
      'The signing secret (whsec_ + 32 base62 characters), shown only in this response: Tessera-Signature is an HMAC-SHA256 with it.',
    example: 'whsec_4fD9kQ2mX7pLr0sT1uVwYz3aBcEe5GhJ',
  })
  secret!: string;
}

export class WebhookListResponse {
  @ApiProperty({ type: [WebhookResponse] }) data!: WebhookResponse[];
  @ApiProperty({ type: 'integer' }) total_count!: number;
  @ApiProperty({ type: 'integer' }) offset!: number;
  @ApiProperty({ type: 'integer' }) limit!: number;
}

export function toWebhookResponse(w: Webhook): WebhookResponse {
  return {
    id: w.id,
    workspace_id: w.workspaceId,
    url: shownWebhookUrl(w.url, w.urlPassword !== null),
    events: EVENT_TYPES.filter((e) => w.events.includes(e)),
    active: w.active,
    created_at: w.createdAt.toISOString(),
    updated_at: w.updatedAt.toISOString(),
  };
}
