import { ApiProperty } from '@nestjs/swagger';
import { WebSession } from '../entities/web-session.entity';

export class SessionResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ format: 'date-time', description: 'Updated at most once a minute.' })
  last_seen_at!: string;
  @ApiProperty({ format: 'date-time', description: '8 hours after sign-in.' })
  expires_at!: string;
  @ApiProperty({ nullable: true, type: String }) ip!: string | null;
  @ApiProperty({ nullable: true, type: String }) user_agent!: string | null;
  @ApiProperty({ description: 'The session this request came from (never on the API).' })
  current!: boolean;
}

export class SessionListResponse {
  @ApiProperty({ type: [SessionResponse] }) data!: SessionResponse[];
  @ApiProperty({ type: 'integer' }) total_count!: number;
  @ApiProperty({ type: 'integer' }) offset!: number;
  @ApiProperty({ type: 'integer' }) limit!: number;
}

export function toSessionResponse(row: WebSession, currentId: string | null): SessionResponse {
  return {
    id: row.id,
    created_at: row.createdAt.toISOString(),
    last_seen_at: row.lastSeenAt.toISOString(),
    expires_at: row.expiresAt.toISOString(),
    ip: row.ip,
    user_agent: row.userAgent,
    current: row.id === currentId,
  };
}
