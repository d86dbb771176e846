import { ApiProperty } from '@nestjs/swagger';
import { Scope, SCOPES } from '../../auth/auth-types';

/** An application the user let act on their behalf, with at least one grant still alive. */
export class OAuthAuthorizationResponse {
  @ApiProperty({ example: 'tsc_4kQ…' }) client_id!: string;
  @ApiProperty({ example: 'Acme Reporting' }) name!: string;
  @ApiProperty({
    enum: SCOPES,
    isArray: true,
    description: 'Every scope the live grants hold together.',
  })
  scopes!: Scope[];
  @ApiProperty({ type: 'integer', description: 'Live grants (each sign-in through the app).' })
  grants!: number;
  @ApiProperty({ format: 'date-time', description: 'When the oldest live grant was given.' })
  authorized_at!: string;
  @ApiProperty({ format: 'date-time', description: 'When a token was last issued to the app.' })
  last_issued_at!: string;
}

export class OAuthAuthorizationListResponse {
  @ApiProperty({ type: [OAuthAuthorizationResponse] }) data!: OAuthAuthorizationResponse[];
  @ApiProperty({ type: 'integer' }) total_count!: number;
  @ApiProperty({ type: 'integer' }) offset!: number;
  @ApiProperty({ type: 'integer' }) limit!: number;
}
