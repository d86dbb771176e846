import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, IsUUID, Matches } from 'class-validator';
import { PaginationQuery } from '../../common/http/pagination';
import { AuditEvent, AuditMetadata } from '../entities/audit-event.entity';
import { PublicUserType } from '../../users/entities/user.entity';

export class ListAuditEventsQuery extends PaginationQuery {
  @ApiPropertyOptional({ example: 'token.revoked' })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z_.]{1,64}$/, { message: 'action must look like token.revoked' })
  action?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  actor_id?: string;
}

export class AdminListAuditEventsQuery extends ListAuditEventsQuery {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  workspace_id?: string;
}

export class AuditEventResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() action!: string;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) workspace_id!: string | null;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) actor_id!: string | null;
  @ApiProperty({
    enum: ['user', 'service_account'],
    nullable: true,
    type: String,
    description: 'What the actor is: a person or a service account; null when there is no actor.',
  })
  actor_type!: PublicUserType | null;
  @ApiProperty({
    format: 'uuid',
    nullable: true,
    type: String,
    description: 'Set when an admin used X-Switch-User.',
  })
  impersonator_id!: string | null;
  @ApiProperty({ nullable: true, type: String }) target_type!: string | null;
  @ApiProperty({ nullable: true, type: String }) target_id!: string | null;
  @ApiProperty({ nullable: true, type: String }) ip!: string | null;
  @ApiProperty({ nullable: true, type: String }) user_agent!: string | null;
  @ApiProperty({ nullable: true, type: Object }) metadata!: AuditMetadata | null;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
}

export class AuditEventListResponse {
  @ApiProperty({ type: [AuditEventResponse] }) data!: AuditEventResponse[];
  @ApiProperty({ type: 'integer' }) total_count!: number;
  @ApiProperty({ type: 'integer' }) offset!: number;
  @ApiProperty({ type: 'integer' }) limit!: number;
}

export function toAuditEventResponse(e: AuditEvent): AuditEventResponse {
  return {
    id: e.id,
    action: e.action,
    workspace_id: e.workspaceId,
    actor_id: e.actorId,
    actor_type: e.actorType,
    impersonator_id: e.impersonatorId,
    target_type: e.targetType,
    target_id: e.targetId,
    ip: e.ip,
    user_agent: e.userAgent,
    metadata: e.metadata,
    created_at: e.createdAt.toISOString(),
  };
}
