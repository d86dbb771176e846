import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ERROR_CODES } from './error-codes';

export class FieldErrorDto {
  @ApiProperty({ example: 'name' })
  field!: string;

  @ApiProperty({ example: 'name must be valid text of at most 100 characters' })
  message!: string;
}

/** The one error body of the whole API (SPEC §3). */
export class ApiErrorResponse {
  @ApiProperty({ type: 'integer', example: 403 })
  statusCode!: number;

  @ApiProperty({ example: 'Forbidden' })
  error!: string;

  @ApiProperty({ enum: ERROR_CODES, example: 'insufficient_scope' })
  code!: string;

  @ApiProperty({
    example: 'This token lacks the write scope; create a token with the write scope.',
  })
  message!: string;

  @ApiPropertyOptional({ type: [FieldErrorDto] })
  details?: FieldErrorDto[];

  @ApiPropertyOptional({ description: 'Present on 500 responses, for support.' })
  request_id?: string;
}
