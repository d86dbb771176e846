import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

export const USAGE_MAX_DAYS = 365;
export const USAGE_DEFAULT_DAYS = 30;

/** One entry of a token's request log (SPEC §11.2). */
export class TokenRequestResponse {
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty({ example: 'GET' }) method!: string;
  @ApiProperty({
    example: '/api/v1/projects',
    description: 'The path as requested, without the query string (at most 512 characters).',
  })
  path!: string;
  @ApiProperty({ type: 'integer', example: 200 }) status!: number;
  @ApiProperty({ example: '203.0.113.7' }) ip!: string;
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'The User-Agent header (at most 256 characters).',
  })
  user_agent!: string | null;
  @ApiProperty({ type: 'integer', description: 'Time to answer, in milliseconds.' })
  duration_ms!: number;
}

export class TokenRequestListResponse {
  @ApiProperty({ type: [TokenRequestResponse] }) data!: TokenRequestResponse[];
  @ApiProperty({ type: 'integer' }) total_count!: number;
  @ApiProperty({ type: 'integer' }) offset!: number;
  @ApiProperty({ type: 'integer' }) limit!: number;
}

export class TokenUsageQuery {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: USAGE_MAX_DAYS,
    default: USAGE_DEFAULT_DAYS,
    description: 'How many UTC days, today included.',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(USAGE_MAX_DAYS)
  days?: number;
}

export class TokenUsageDay {
  @ApiProperty({ example: '2026-12-04', description: 'A UTC day.' }) date!: string;
  @ApiProperty({ type: 'integer' }) requests!: number;
  @ApiProperty({ type: 'integer', description: 'Requests answered with a status of 400 or more.' })
  errors!: number;
}

export class TokenUsageResponse {
  @ApiProperty({
    type: [TokenUsageDay],
    description: 'One entry per UTC day, oldest first, days without requests included (zeros).',
  })
  data!: TokenUsageDay[];
}

/** An entry of a token's last_used_ips. */
export class LastUsedIpResponse {
  @ApiProperty({ example: '203.0.113.7' }) ip!: string;
  @ApiProperty({ format: 'date-time' }) last_used_at!: string;
}
