import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsBoolean,
  IsEmail,
  IsIn,
  IsOptional,
  IsString,
  Matches,
  MinLength,
  ValidateIf,
} from 'class-validator';
import { AuthMethod, Scope, SCOPES } from '../../auth/auth-types';
import { PLANS, Role, ROLES } from '../../workspaces/roles-and-plans';
import { PaginationQuery } from '../../common/http/pagination';
import { IsOptionalNotNull, MaxChars } from '../../common/http/validation';
import {
  PublicUserType,
  publicUserType,
  User,
  USER_STATUSES,
  UserStatus,
} from '../entities/user.entity';

const USERNAME = /^[A-Za-z0-9._-]{2,64}$/;

export class CreateUserRequest {
  @ApiProperty({
    example: 'jsmith',
    description: 'The login everywhere (2-64 of A-Z a-z 0-9 . _ -).',
  })
  @Matches(USERNAME, {
    message: 'username must be 2-64 letters, digits, dots, dashes or underscores',
  })
  username!: string;

  @ApiProperty({ example: 'jsmith@example.com' })
  @IsEmail()
  @MaxChars(255)
  email!: string;

  @ApiProperty({ minLength: 12, maxLength: 256 })
  @IsString()
  @MinLength(12)
  @MaxChars(256)
  password!: string;

  @ApiPropertyOptional({ default: false })
  @IsOptional()
  @IsBoolean()
  is_admin?: boolean;
}

export class UpdateUserRequest {
  @ApiPropertyOptional({ enum: USER_STATUSES })
  @IsOptionalNotNull()
  @IsIn(USER_STATUSES)
  status?: UserStatus;

  @ApiPropertyOptional()
  @IsOptionalNotNull()
  @IsBoolean()
  is_admin?: boolean;

  @ApiPropertyOptional({ minLength: 12, maxLength: 256 })
  @IsOptionalNotNull()
  @IsString()
  @MinLength(12)
  @MaxChars(256)
  password?: string;

  @ApiPropertyOptional({
    nullable: true,
    type: String,
    minLength: 8,
    maxLength: 256,
    description: 'Legacy X-AUTH-TOKEN API password (deprecated); null removes it.',
  })
  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @IsString()
  @MinLength(8)
  @MaxChars(256)
  legacy_api_password?: string | null;
}

export class ListUsersQuery extends PaginationQuery {
  @ApiPropertyOptional({ enum: USER_STATUSES })
  @IsOptional()
  @IsIn(USER_STATUSES)
  status?: UserStatus;

  @ApiPropertyOptional({
    enum: ['user', 'service_account'],
    description: 'Only people, or only service accounts.',
  })
  @IsOptional()
  @IsIn(['user', 'service_account'])
  type?: PublicUserType;
}

export class UserResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() username!: string;
  @ApiProperty({
    enum: ['user', 'service_account'],
    description:
      'user: a person. service_account: a non-human member of one workspace that acts only ' +
      'through its API tokens (no password, no sign-in).',
  })
  type!: PublicUserType;
  @ApiProperty() email!: string;
  @ApiProperty() is_admin!: boolean;
  @ApiProperty({ enum: USER_STATUSES }) status!: UserStatus;
  @ApiProperty() two_factor_enabled!: boolean;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ format: 'date-time' }) updated_at!: string;
}

export class UserListResponse {
  @ApiProperty({ type: [UserResponse] }) data!: UserResponse[];
  @ApiProperty({ type: 'integer' }) total_count!: number;
  @ApiProperty({ type: 'integer' }) offset!: number;
  @ApiProperty({ type: 'integer' }) limit!: number;
}

export class AuthInfo {
  @ApiProperty({
    enum: [
      'bearer',
      'api_key',
      'query_key',
      'basic_token',
      'basic_password',
      'legacy_api_password',
      'oauth',
    ],
  })
  method!: AuthMethod;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) token_id!: string | null;
  @ApiProperty({ enum: SCOPES, isArray: true }) scopes!: Scope[];
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) workspace_id!: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) expires_at!: string | null;
}

export class UserRef {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() username!: string;
}

export class MyWorkspace {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: ROLES }) role!: Role;
  @ApiProperty({ enum: PLANS }) plan!: string;
}

export class MeResponse extends UserResponse {
  @ApiProperty({ type: AuthInfo }) auth!: AuthInfo;
  @ApiProperty({ type: UserRef, nullable: true }) impersonated_by!: UserRef | null;
  @ApiProperty({ type: [MyWorkspace], description: 'Workspaces this credential may act in.' })
  workspaces!: MyWorkspace[];
}

export function toUserResponse(user: User): UserResponse {
  return {
    id: user.id,
    username: user.username,
    type: publicUserType(user.type),
    email: user.email,
    is_admin: user.isAdmin,
    status: user.status,
    two_factor_enabled: user.totpEnabledAt !== null,
    created_at: user.createdAt.toISOString(),
    updated_at: user.updatedAt.toISOString(),
  };
}

export class TwoFactorCodeRequest {
  @ApiProperty({
    example: '492039',
    description:
      'The 6-digit code from the authenticator app, or (except to confirm enrolment) one of the ' +
      'unused recovery codes ("xxxxx-xxxxx"), which this uses up.',
  })
  @IsString()
  @Matches(/^(\d{6}|\s*[0-9A-Za-z]{5}-?[0-9A-Za-z]{5}\s*)$/, {
    message: 'code must be the 6 digits from your authenticator app or a recovery code',
  })
  code!: string;
}

export class RecoveryCodesResponse {
  @ApiProperty({
    type: [String],
    example: ['7k2mq-x9d4r', 'p3n8v-c6w1t'],
    description:
      'Ten single-use recovery codes, shown only now: each signs in (or manages 2FA) once in ' +
      'place of an app code. Stored only as hashes.',
  })
  recovery_codes!: string[];
}

export class TwoFactorSetupResponse {
  @ApiProperty({ description: 'Base32 secret for the authenticator app.' }) secret!: string;
  @ApiProperty({ example: 'otpauth://totp/Tessera:jsmith?secret=...&issuer=Tessera' })
  otpauth_uri!: string;
}

/** A new password, under the same rules as CreateUserRequest.password. */
export class NewPasswordRequest {
  @ApiProperty({ minLength: 12, maxLength: 256 })
  @IsString()
  @MinLength(12)
  @MaxChars(256)
  new_password!: string;
}

export class ChangePasswordRequest extends NewPasswordRequest {
  @ApiProperty({ maxLength: 256, description: 'The password the account has now.' })
  @IsString()
  @MaxChars(256)
  current_password!: string;
}

export class PasswordResetResponse {
  @ApiProperty({
    example: 'https://tessera.example.com/password-reset?code=…',
    description: 'The one-time link for the user, shown once; valid for 1 hour.',
  })
  url!: string;
  @ApiProperty({ format: 'date-time' }) expires_at!: string;
}
