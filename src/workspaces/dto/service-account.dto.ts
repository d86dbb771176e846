import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsNotEmpty, IsString } from 'class-validator';
import { MaxChars } from '../../common/http/validation';
import { SERVICE_ACCOUNT_ROLES, ServiceAccountRole } from '../workspace-policy';

export class CreateServiceAccountRequest {
  @ApiProperty({ example: 'CI deploy bot', maxLength: 120 })
  // Trimmed before validation, so a blank name is refused instead of stored as ''.
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @IsNotEmpty()
  @MaxChars(120)
  name!: string;

  @ApiProperty({
    enum: SERVICE_ACCOUNT_ROLES,
    description: 'Its role in the workspace: member (use the API) or admin (also manage it).',
  })
  @IsIn(SERVICE_ACCOUNT_ROLES)
  role!: ServiceAccountRole;
}

export class ServiceAccountResponse {
  @ApiProperty({
    format: 'uuid',
    description: 'Its user id (user_id of its tokens and audit events).',
  })
  id!: string;
  @ApiProperty({ example: 'CI deploy bot' }) name!: string;
  @ApiProperty({
    example: 'sa-3f9c2a1b7d4e',
    description: 'Its generated login, as member lists and audit logs show it; it cannot sign in.',
  })
  username!: string;
  @ApiProperty({ enum: SERVICE_ACCOUNT_ROLES }) role!: ServiceAccountRole;
  @ApiProperty({ format: 'uuid' }) workspace_id!: string;
  @ApiProperty({ type: 'integer', description: 'Its tokens that work now.' })
  active_tokens!: number;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({
    format: 'uuid',
    nullable: true,
    type: String,
    description: 'The user who created it.',
  })
  created_by!: string | null;
}

export class ServiceAccountListResponse {
  @ApiProperty({ type: [ServiceAccountResponse] }) data!: ServiceAccountResponse[];
  @ApiProperty({ type: 'integer' }) total_count!: number;
  @ApiProperty({ type: 'integer' }) offset!: number;
  @ApiProperty({ type: 'integer' }) limit!: number;
}
