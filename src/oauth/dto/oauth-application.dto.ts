import { MaxChars } from '../../common/http/validation';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsNotEmpty,
  IsOptional,
  IsString,
  Validate,
  ValidatorConstraint,
  ValidatorConstraintInterface,
} from 'class-validator';
import { Scope, SCOPES } from '../../auth/auth-types';
import { OAuthApplication } from '../entities/oauth-application.entity';

/** https anywhere; http only for loopback (RFC 8252 native apps); no fragments. */
@ValidatorConstraint({ name: 'redirectUri' })
class RedirectUriConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    if (typeof value !== 'string' || value.length > 2000) {
      return false;
    }
    try {
      const url = new URL(value);
      if (url.hash) {
        return false;
      }
      if (url.protocol === 'https:') {
        return true;
      }
      return url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
    } catch {
      return false;
    }
  }

  defaultMessage(): string {
    return 'each redirect_uri must be an https URL (http only for localhost) without a fragment';
  }
}

export class CreateOAuthApplicationRequest {
  @ApiProperty({ example: 'Acme Reporting', maxLength: 120 })
  @IsString()
  @IsNotEmpty()
  @MaxChars(120)
  name!: string;

  @ApiProperty({
    example: ['https://reports.acme.example/callback'],
    description: 'Matched exactly.',
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(10)
  @ArrayUnique()
  @Validate(RedirectUriConstraint, { each: true })
  redirect_uris!: string[];

  @ApiProperty({ enum: SCOPES, isArray: true, example: ['read'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayUnique()
  @IsIn(SCOPES, { each: true })
  scopes!: Scope[];

  @ApiPropertyOptional({
    default: true,
    description:
      'Confidential clients (servers) get a secret; public clients (SPAs, apps) must use PKCE.',
  })
  @IsOptional()
  @IsBoolean()
  confidential?: boolean;
}

export class OAuthApplicationResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() client_id!: string;
  @ApiProperty({ type: [String] }) redirect_uris!: string[];
  @ApiProperty({ enum: SCOPES, isArray: true }) scopes!: Scope[];
  @ApiProperty() confidential!: boolean;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
}

export class CreatedOAuthApplicationResponse extends OAuthApplicationResponse {
  @ApiPropertyOptional({ description: 'Confidential clients only; shown in this response only.' })
  client_secret?: string;
}

export class OAuthApplicationListResponse {
  @ApiProperty({ type: [OAuthApplicationResponse] }) data!: OAuthApplicationResponse[];
  @ApiProperty({ type: 'integer' }) total_count!: number;
  @ApiProperty({ type: 'integer' }) offset!: number;
  @ApiProperty({ type: 'integer' }) limit!: number;
}

export function toApplicationResponse(app: OAuthApplication): OAuthApplicationResponse {
  return {
    id: app.id,
    name: app.name,
    client_id: app.clientId,
    redirect_uris: app.redirectUris,
    scopes: app.scopes,
    confidential: app.confidential,
    created_at: app.createdAt.toISOString(),
  };
}
