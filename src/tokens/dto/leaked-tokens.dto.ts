import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsNotEmpty, IsString } from 'class-validator';
import { MaxChars } from '../../common/http/validation';
import { TokenResponse } from './token.dto';

export const MAX_LEAKED_TOKENS = 1000;
export const MAX_LEAKED_TOKEN_CHARS = 200;

export class LeakReportRequest {
  @ApiProperty({
    type: [String],
    minItems: 1,
    maxItems: MAX_LEAKED_TOKENS,
    description:
      'Strings found where they should not be (a public repository, a paste, a log): API tokens, ' +
      'OAuth access or refresh tokens, or anything else. Each at most 200 characters.',
    example: ['ts_RQzyyBikttzJ3SwZApkWIiOAX71SXdju'],
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_LEAKED_TOKENS)
  @IsString({ each: true })
  @MaxChars(MAX_LEAKED_TOKEN_CHARS, { each: true })
  tokens!: string[];
}

export class LeakReportResponse {
  @ApiProperty({
    type: 'integer',
    description: 'How many strings were received; never which of them were tokens.',
  })
  received!: number;
}

export class TokenLookupRequest {
  @ApiProperty({ description: 'An API token string (the secret).', maxLength: 200 })
  @IsString()
  @IsNotEmpty()
  @MaxChars(MAX_LEAKED_TOKEN_CHARS)
  token!: string;
}

export class TokenOwnerResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() username!: string;
}

export class TokenWorkspaceResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
}

export class TokenLookupResponse extends TokenResponse {
  @ApiProperty({ type: TokenOwnerResponse }) owner!: TokenOwnerResponse;
  @ApiProperty({
    type: TokenWorkspaceResponse,
    nullable: true,
    description: 'null for an instance token.',
  })
  workspace!: TokenWorkspaceResponse | null;
}
