import { IsOptionalNotNull, MaxChars } from '../../common/http/validation';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsInt,
  IsISO8601,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Max,
  Min,
  ValidateBy,
  ValidateIf,
  ValidateNested,
  buildMessage,
} from 'class-validator';
import { canonicalEntry, MAX_ALLOWED_CIDRS } from '../../auth/address-list';
import { Scope, SCOPES } from '../../auth/auth-types';
import { PaginationQuery } from '../../common/http/pagination';
import { QUOTA_PERIODS, QuotaPeriod, storedQuota, TokenQuota } from '../../rate-limit/quota';
import { ApiToken, REVOKED_REASONS, RevokedReason } from '../entities/api-token.entity';
import { TokenPolicy, tokenComplies } from '../../workspaces/workspace-policy';
import { LastUsedIpResponse } from '../request-log/request-log.dto';
import { isoTime } from '../../common/time/iso-time';

export const TOKEN_STATES = ['active', 'expired', 'revoked', 'all'] as const;
export type TokenStateFilter = (typeof TOKEN_STATES)[number];
export type TokenState = Exclude<TokenStateFilter, 'all'>;

const MAX_TOKEN_RATE_LIMIT = 1_000_000;
/** A token expiring within this is `expires_soon` (SPEC §11.4). */
export const EXPIRES_SOON_MS = 7 * 86_400_000;
const MAX_PROJECT_IDS = 100;
const MAX_QUOTA_LIMIT = 1_000_000_000;

/** Each entry an IPv4/IPv6 address or CIDR block (ipaddr.js); stored in canonical form. */
const IsAddressOrBlock = (): PropertyDecorator =>
  ValidateBy(
    {
      name: 'isAddressOrBlock',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && canonicalEntry(value) !== null,
        defaultMessage: buildMessage(
          (each) =>
            `${each}$property must hold IPv4 or IPv6 addresses or CIDR blocks (e.g. 203.0.113.0/24, 2001:db8::/32)`,
          { each: true },
        ),
      },
    },
    { each: true },
  );

/** A token's quota in a request body (SPEC §11.1). */
export class QuotaRequest {
  @ApiProperty({ type: 'integer', minimum: 1, maximum: MAX_QUOTA_LIMIT, example: 10000 })
  @IsInt()
  @Min(1)
  @Max(MAX_QUOTA_LIMIT)
  limit!: number;

  @ApiProperty({ enum: QUOTA_PERIODS, description: 'A UTC calendar day or month.' })
  @IsIn(QUOTA_PERIODS)
  period!: QuotaPeriod;
}

/** A token's quota in a response. */
export class QuotaResponse {
  @ApiProperty({ type: 'integer' }) limit!: number;
  @ApiProperty({ enum: QUOTA_PERIODS }) period!: QuotaPeriod;
}

/** The restriction fields shared by creation and PATCH (SPEC §11.1); null lifts one. */
class TokenRestrictionFields {
  @ApiPropertyOptional({
    type: QuotaRequest,
    nullable: true,
    description:
      'Requests the token may make per UTC day or month; past it, 429 quota_exceeded until the period ends. ' +
      'Every authenticated request counts, refused ones included, but not a quota_exceeded one. null: no quota.',
  })
  @ValidateIf((_, value: unknown) => value !== null && value !== undefined)
  @IsObject()
  @ValidateNested()
  @Type(() => QuotaRequest)
  quota?: QuotaRequest | null;

  @ApiPropertyOptional({
    type: [String],
    nullable: true,
    minItems: 1,
    maxItems: MAX_ALLOWED_CIDRS,
    example: ['203.0.113.0/24', '2001:db8::/32'],
    description:
      'IPv4/IPv6 addresses or CIDR blocks the token may be used from (1 to 20); null: any address ' +
      '(an empty list, a token usable from nowhere, is refused). ' +
      'Stored in canonical form. Default on creation: none, or the creating token’s own list.',
  })
  @ValidateIf((_, value: unknown) => value !== null && value !== undefined)
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_ALLOWED_CIDRS)
  @IsString({ each: true })
  @MaxChars(64, { each: true })
  @IsAddressOrBlock()
  allowed_cidrs?: string[] | null;

  @ApiPropertyOptional({
    type: [String],
    format: 'uuid',
    nullable: true,
    maxItems: MAX_PROJECT_IDS,
    description:
      'Projects of the token’s workspace it may reach (at most 100); null: all. Default on creation: all, or the creating token’s own projects.',
  })
  @ValidateIf((_, value: unknown) => value !== null && value !== undefined)
  @IsArray()
  @ArrayMaxSize(MAX_PROJECT_IDS)
  @ArrayUnique((id: unknown) => (typeof id === 'string' ? id.toLowerCase() : id))
  @IsUUID('all', { each: true })
  project_ids?: string[] | null;
}

export class CreateTokenRequest extends TokenRestrictionFields {
  @ApiProperty({ example: 'CI deploy bot', maxLength: 100 })
  // Trimmed before validation, so a blank name is refused instead of stored as ''.
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @IsNotEmpty()
  @MaxChars(100)
  name!: string;

  @ApiProperty({ enum: SCOPES, isArray: true, example: ['read', 'write'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayUnique()
  @IsIn(SCOPES, { each: true })
  scopes!: Scope[];

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: 365,
    example: 30,
    description: 'Or expires_at.',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(365)
  expires_in_days?: number;

  @ApiPropertyOptional({
    format: 'date-time',
    example: '2027-01-31T00:00:00Z',
    description: 'Or expires_in_days.',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  expires_at?: string;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: MAX_TOKEN_RATE_LIMIT,
    example: 600,
    description:
      'Requests this token may make per rate-limit window (default: the instance limit). Above the instance limit only instance administrators may set it.',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_TOKEN_RATE_LIMIT)
  rate_limit?: number;
}

export class UpdateTokenRequest extends TokenRestrictionFields {
  @ApiPropertyOptional({ example: 'CI deploy bot', maxLength: 100 })
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsOptionalNotNull()
  @IsString()
  @IsNotEmpty()
  @MaxChars(100)
  name?: string;

  @ApiPropertyOptional({
    type: 'integer',
    nullable: true,
    minimum: 1,
    maximum: MAX_TOKEN_RATE_LIMIT,
    description:
      'Requests per rate-limit window; null: the instance default. Never above the caller’s own limit (instance administrators excepted).',
  })
  @ValidateIf((_, value: unknown) => value !== null && value !== undefined)
  @IsInt()
  @Min(1)
  @Max(MAX_TOKEN_RATE_LIMIT)
  rate_limit?: number | null;
}

export class RotateTokenRequest {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    maximum: 86400,
    default: 0,
    description: 'How long the old token keeps working.',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(86400)
  grace_seconds?: number;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: 365,
    description: 'Default: keep the old expiry.',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(365)
  expires_in_days?: number;

  @ApiPropertyOptional({ format: 'date-time', description: 'Default: keep the old expiry.' })
  @IsOptional()
  @IsISO8601({ strict: true })
  expires_at?: string;
}

export class ListTokensQuery extends PaginationQuery {
  @ApiPropertyOptional({ enum: TOKEN_STATES, default: 'active' })
  @IsOptional()
  @IsIn(TOKEN_STATES)
  state?: TokenStateFilter;

  @ApiPropertyOptional({
    type: Boolean,
    description: 'Every member’s tokens (for users who manage API access).',
    default: false,
  })
  @IsOptional()
  @Type(() => String)
  @IsIn(['true', 'false'])
  all?: 'true' | 'false';
}

export class AdminListTokensQuery extends PaginationQuery {
  @ApiPropertyOptional({ enum: TOKEN_STATES, default: 'all' })
  @IsOptional()
  @IsIn(TOKEN_STATES)
  state?: TokenStateFilter;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  user_id?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  workspace_id?: string;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: 3650,
    description:
      'Unused for at least this many days (a never-used token counts from its creation).',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(3650)
  idle_days?: number;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: 365,
    description: 'Expiring within this many days from now (not yet expired).',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(365)
  expiring_within_days?: number;
}

export class TokenResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ example: 'ts_4fK9xQ2a' }) token_prefix!: string;
  @ApiProperty({ enum: SCOPES, isArray: true }) scopes!: Scope[];
  @ApiProperty({
    nullable: true,
    type: 'integer',
    description: 'Requests per rate-limit window; null: the instance default.',
  })
  rate_limit!: number | null;
  @ApiProperty({
    type: [String],
    nullable: true,
    description: 'Addresses and CIDR blocks the token may be used from; null: any.',
  })
  allowed_cidrs!: string[] | null;
  @ApiProperty({
    type: [String],
    nullable: true,
    description: 'Projects the token reaches; null: all of its workspace’s, empty: none.',
  })
  project_ids!: string[] | null;
  @ApiProperty({
    type: QuotaResponse,
    nullable: true,
    description: 'Requests per UTC day or month; null: no quota.',
  })
  quota!: QuotaResponse | null;
  @ApiProperty({
    type: 'integer',
    nullable: true,
    description:
      'Requests counted against the quota in its current period (across instances); null without a quota.',
  })
  quota_used!: number | null;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) workspace_id!: string | null;
  @ApiProperty({ format: 'uuid' }) user_id!: string;
  @ApiProperty({ enum: ['active', 'expired', 'revoked'] }) state!: TokenState;
  @ApiProperty({ format: 'date-time' }) expires_at!: string;
  @ApiProperty({ description: 'Active and expiring within 7 days.' }) expires_soon!: boolean;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) last_used_at!: string | null;
  @ApiProperty({ nullable: true, type: String }) last_used_ip!: string | null;
  // --- request log (SPEC §11.2) ---
  @ApiProperty({
    type: [LastUsedIpResponse],
    description:
      'The last 5 distinct addresses the token was used from, newest first (written in batches: ' +
      'visible within a few seconds).',
  })
  last_used_ips!: LastUsedIpResponse[];
  // --- end request log ---
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) revoked_at!: string | null;
  @ApiProperty({
    enum: REVOKED_REASONS,
    nullable: true,
    type: String,
    description:
      'Why the token was revoked; null while it is not (a rotated token in its grace period says rotated).',
  })
  revoked_reason!: RevokedReason | null;
  @ApiProperty({
    description:
      'Whether the token meets its workspace’s token policy (scopes, lifetime from creation to expiry, address allow-list). ' +
      'A token that a tightened policy no longer allows is refused with 403 policy_violation (except to revoke it); ' +
      'always true for instance tokens.',
  })
  policy_compliant!: boolean;
}

export class CreatedTokenResponse extends TokenResponse {
  @ApiProperty({ description: 'The secret. Shown only in this response; store it now.' })
  token!: string;
}

export class TokenListResponse {
  @ApiProperty({ type: [TokenResponse] }) data!: TokenResponse[];
  @ApiProperty({ type: 'integer' }) total_count!: number;
  @ApiProperty({ type: 'integer' }) offset!: number;
  @ApiProperty({ type: 'integer' }) limit!: number;
}

const NO_QUOTA_COUNTS: ReadonlyMap<string, number> = new Map();

/** A token's quota, from its two columns. */
export function tokenQuota(token: Pick<ApiToken, 'quotaLimit' | 'quotaPeriod'>): TokenQuota | null {
  return storedQuota(token.quotaLimit, token.quotaPeriod);
}

function tokenState(token: ApiToken, now = Date.now()): TokenState {
  if (token.revokedAt && token.revokedAt.getTime() <= now) {
    return 'revoked';
  }
  return token.expiresAt.getTime() <= now ? 'expired' : 'active';
}

/** `policy`: the token policy of the token's workspace (null for instance tokens). */
export function toTokenResponse(
  token: ApiToken,
  policy: TokenPolicy | null,
  quotaUsed: ReadonlyMap<string, number> = NO_QUOTA_COUNTS,
): TokenResponse {
  const quota = tokenQuota(token);
  return {
    id: token.id,
    name: token.name,
    token_prefix: token.tokenPrefix,
    scopes: token.scopes,
    rate_limit: token.rateLimit,
    allowed_cidrs: token.allowedCidrs,
    project_ids: token.projectIds,
    quota,
    quota_used: quota ? (quotaUsed.get(token.id) ?? 0) : null,
    workspace_id: token.workspaceId,
    user_id: token.userId,
    state: tokenState(token),
    expires_at: isoTime(token.expiresAt),
    expires_soon:
      tokenState(token) === 'active' && token.expiresAt.getTime() - Date.now() <= EXPIRES_SOON_MS,
    last_used_at: token.lastUsedAt ? isoTime(token.lastUsedAt) : null,
    last_used_ip: token.lastUsedIp,
    // Filled in by RequestLogService.withLastUsedIps where a route shows stored tokens.
    last_used_ips: [],
    created_at: isoTime(token.createdAt),
    revoked_at: token.revokedAt ? isoTime(token.revokedAt) : null,
    revoked_reason: token.revokedReason ?? null,
    policy_compliant: token.workspaceId === null || tokenComplies(policy, token),
  };
}
