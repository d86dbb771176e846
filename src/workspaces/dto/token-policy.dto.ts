import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  Max,
  Min,
} from 'class-validator';
import { Scope, SCOPES } from '../../auth/auth-types';
import { IsOptionalNotNull } from '../../common/http/validation';
import { longestLifetimeDays, TokenPolicy } from '../workspace-policy';

export class UpdateTokenPolicyRequest {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: 365,
    nullable: true,
    description:
      'Longest lifetime of a token (expires_at − created_at), at most the instance maximum; null: the instance maximum.',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(365)
  max_lifetime_days?: number | null;

  @ApiPropertyOptional({
    enum: SCOPES,
    isArray: true,
    example: ['read', 'write'],
    description: 'Scopes a token may carry (at least one).',
  })
  @IsOptionalNotNull()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayUnique()
  @IsIn(SCOPES, { each: true })
  allowed_scopes?: Scope[];

  @ApiPropertyOptional({ description: 'Every token must have allowed_cidrs.' })
  @IsOptionalNotNull()
  @IsBoolean()
  require_allowed_cidrs?: boolean;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 7,
    maximum: 365,
    nullable: true,
    description: 'Tokens unused this many days are to be revoked; null: never.',
  })
  @IsOptional()
  @IsInt()
  @Min(7)
  @Max(365)
  idle_revoke_days?: number | null;
}

export class TokenPolicyResponse {
  @ApiProperty({
    type: 'integer',
    nullable: true,
    minimum: 1,
    maximum: 365,
    description: 'Longest lifetime of a token in days; null: the instance maximum.',
  })
  max_lifetime_days!: number | null;
  @ApiProperty({ enum: SCOPES, isArray: true }) allowed_scopes!: Scope[];
  @ApiProperty() require_allowed_cidrs!: boolean;
  @ApiProperty({
    type: 'integer',
    nullable: true,
    minimum: 7,
    maximum: 365,
    description:
      'Tokens unused this many days (a token never used counts from its creation) are revoked by the scheduler, reason idle; null: never.',
  })
  idle_revoke_days!: number | null;
}

/**
 * The policy as stored, or, given the instance maximum, as it binds: a workspace's
 * `max_lifetime_days` above the instance maximum (an administrator lowered it since) reads as the
 * instance maximum, which is what minting applies.
 */
export function toTokenPolicyResponse(
  policy: TokenPolicy,
  instanceMaxDays = Infinity,
): TokenPolicyResponse {
  return {
    max_lifetime_days:
      policy.maxLifetimeDays === null ? null : longestLifetimeDays(policy, instanceMaxDays),
    allowed_scopes: SCOPES.filter((s) => policy.allowedScopes.includes(s)),
    require_allowed_cidrs: policy.requireAllowedCidrs,
    idle_revoke_days: policy.idleRevokeDays,
  };
}
