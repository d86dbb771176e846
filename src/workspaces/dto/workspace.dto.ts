import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsNotEmpty, IsString, IsUUID, Matches, Max, Min } from 'class-validator';
import { BILLING_STATUSES, BillingStatus, Plan, PLANS, Role, ROLES } from '../roles-and-plans';
import { IsOptionalNotNull, MaxChars } from '../../common/http/validation';
import { Membership } from '../entities/membership.entity';
import { Workspace } from '../entities/workspace.entity';
import { PublicUserType, publicUserType, UserType } from '../../users/entities/user.entity';

// Names are trimmed before saving, so a name of only spaces would become empty.
const NOT_BLANK = /\S/;
const NOT_BLANK_MESSAGE = 'name must contain more than spaces';

export class CreateWorkspaceRequest {
  @ApiProperty({ example: 'Acme Engineering', maxLength: 120 })
  @IsString()
  @IsNotEmpty()
  @Matches(NOT_BLANK, { message: NOT_BLANK_MESSAGE })
  @MaxChars(120)
  name!: string;
}

export class UpdateWorkspaceRequest {
  @ApiPropertyOptional({ maxLength: 120 })
  @IsOptionalNotNull()
  @IsString()
  @IsNotEmpty()
  @Matches(NOT_BLANK, { message: NOT_BLANK_MESSAGE })
  @MaxChars(120)
  name?: string;
}

export class AdminUpdateWorkspaceRequest {
  @ApiPropertyOptional({ enum: PLANS })
  @IsOptionalNotNull()
  @IsIn(PLANS)
  plan?: Plan;

  @ApiPropertyOptional({ enum: BILLING_STATUSES })
  @IsOptionalNotNull()
  @IsIn(BILLING_STATUSES)
  billing_status?: BillingStatus;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    maximum: 1000,
    description: 'Each pack adds 5 tokens.',
  })
  @IsOptionalNotNull()
  @IsInt()
  @Min(0)
  @Max(1000)
  token_packs?: number;
}

export class AddMemberRequest {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  user_id!: string;

  @ApiProperty({ enum: ROLES })
  @IsIn(ROLES)
  role!: Role;
}

export class UpdateMemberRequest {
  @ApiProperty({ enum: ROLES })
  @IsIn(ROLES)
  role!: Role;
}

export class WorkspaceResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: PLANS }) plan!: Plan;
  @ApiProperty({ enum: BILLING_STATUSES }) billing_status!: BillingStatus;
  @ApiProperty({ type: 'integer' }) token_packs!: number;
  @ApiProperty({
    nullable: true,
    type: 'integer',
    description: 'Active tokens allowed; null = unlimited.',
  })
  token_limit!: number | null;
  @ApiProperty({
    type: 'integer',
    description: 'Human members, the creator included; service accounts take no seat.',
  })
  seats_used!: number;
  @ApiPropertyOptional({ enum: ROLES, description: 'Your role (omitted in admin lists).' })
  role?: Role;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ format: 'date-time' }) updated_at!: string;
}

export class WorkspaceListResponse {
  @ApiProperty({ type: [WorkspaceResponse] }) data!: WorkspaceResponse[];
  @ApiProperty({ type: 'integer' }) total_count!: number;
  @ApiProperty({ type: 'integer' }) offset!: number;
  @ApiProperty({ type: 'integer' }) limit!: number;
}

export class MemberResponse {
  @ApiProperty({ format: 'uuid' }) user_id!: string;
  @ApiProperty() username!: string;
  @ApiProperty({
    enum: ['user', 'service_account'],
    description: 'A person, or a service account (managed with …/service-accounts).',
  })
  type!: PublicUserType;
  @ApiProperty({ enum: ROLES }) role!: Role;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
}

export class MemberListResponse {
  @ApiProperty({ type: [MemberResponse] }) data!: MemberResponse[];
  @ApiProperty({ type: 'integer' }) total_count!: number;
  @ApiProperty({ type: 'integer' }) offset!: number;
  @ApiProperty({ type: 'integer' }) limit!: number;
}

export function toMemberResponse(
  m: Membership,
  user: { username: string; type: UserType },
): MemberResponse {
  return {
    user_id: m.userId,
    username: user.username,
    type: publicUserType(user.type),
    role: m.role,
    created_at: m.createdAt.toISOString(),
  };
}

export function toWorkspaceResponse(
  workspace: Workspace,
  tokenLimit: number | null,
  seatsUsed: number,
  role?: Role,
): WorkspaceResponse {
  return {
    id: workspace.id,
    name: workspace.name,
    plan: workspace.plan,
    billing_status: workspace.billingStatus,
    token_packs: workspace.tokenPacks,
    token_limit: tokenLimit,
    seats_used: seatsUsed,
    ...(role ? { role } : {}),
    created_at: workspace.createdAt.toISOString(),
    updated_at: workspace.updatedAt.toISOString(),
  };
}
