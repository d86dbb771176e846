import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsInt, IsISO8601, IsOptional, Max, Min, ValidateIf } from 'class-validator';
import { InstanceSettings } from '../entities/instance-settings.entity';
import { SettingsChanges } from '../settings-changes';

// Optional but not nullable: @IsOptional() would let null through to a NOT NULL column (a 500).
const IsOptionalNotNull = (): PropertyDecorator =>
  ValidateIf((_, value: unknown) => value !== undefined);

export class UpdateSettingsRequest {
  @ApiPropertyOptional({ description: 'Off: every /api/v1 call gets 403 api_disabled.' })
  @IsOptionalNotNull()
  @IsBoolean()
  rest_api_enabled?: boolean;

  @ApiPropertyOptional({ description: 'Accept ?key=<token> (discouraged: URLs end up in logs).' })
  @IsOptionalNotNull()
  @IsBoolean()
  allow_query_key?: boolean;

  @ApiPropertyOptional({ description: 'Accept HTTP Basic username:password on the API.' })
  @IsOptionalNotNull()
  @IsBoolean()
  allow_basic_password?: boolean;

  @ApiPropertyOptional({ description: 'Accept legacy X-AUTH-USER / X-AUTH-TOKEN API passwords.' })
  @IsOptionalNotNull()
  @IsBoolean()
  legacy_auth_enabled?: boolean;

  @ApiPropertyOptional({
    format: 'date-time',
    nullable: true,
    type: String,
    example: '2027-06-30T00:00:00Z',
    description: 'After this instant API passwords are refused; null clears it.',
  })
  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @IsISO8601({ strict: true })
  legacy_auth_sunset_at?: string | null;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 365 })
  @IsOptionalNotNull()
  @IsInt()
  @Min(1)
  @Max(365)
  max_token_lifetime_days?: number;
}

export class SettingsResponse {
  @ApiProperty() rest_api_enabled!: boolean;
  @ApiProperty() allow_query_key!: boolean;
  @ApiProperty() allow_basic_password!: boolean;
  @ApiProperty() legacy_auth_enabled!: boolean;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) legacy_auth_sunset_at!:
    string | null;
  @ApiProperty({ type: 'integer' }) max_token_lifetime_days!: number;
  @ApiProperty({ format: 'date-time' }) updated_at!: string;
}

export function toSettingsResponse(s: InstanceSettings): SettingsResponse {
  return {
    rest_api_enabled: s.restApiEnabled,
    allow_query_key: s.allowQueryKey,
    allow_basic_password: s.allowBasicPassword,
    legacy_auth_enabled: s.legacyAuthEnabled,
    legacy_auth_sunset_at: s.legacyAuthSunsetAt?.toISOString() ?? null,
    max_token_lifetime_days: s.maxTokenLifetimeDays,
    updated_at: s.updatedAt.toISOString(),
  };
}

export function toSettingsChanges(dto: UpdateSettingsRequest): SettingsChanges {
  const sunset = dto.legacy_auth_sunset_at;
  // Fields left out stay undefined: the service changes only what differs.
  return {
    restApiEnabled: dto.rest_api_enabled,
    allowQueryKey: dto.allow_query_key,
    allowBasicPassword: dto.allow_basic_password,
    legacyAuthEnabled: dto.legacy_auth_enabled,
    legacyAuthSunsetAt: sunset === undefined || sunset === null ? sunset : new Date(sunset),
    maxTokenLifetimeDays: dto.max_token_lifetime_days,
  };
}
