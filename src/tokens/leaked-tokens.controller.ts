import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import { Public } from '../auth/decorators/auth.decorator';
import { ApiErrorResponse } from '../common/errors/api-error.dto';
import { ReqMeta, RequestMeta } from '../common/http/request-meta.decorator';
import { LeakReportRequest, LeakReportResponse } from './dto/leaked-tokens.dto';
import { LeakedReportLimit } from './leaked-report.limit';
import { LeakedTokensService } from './leaked-tokens.service';

const RATE_LIMIT_HEADER = (description: string) => ({ description, schema: { type: 'integer' } });

@ApiTags('tokens')
@Controller('api/v1/tokens')
export class LeakedTokensController {
  constructor(private readonly leaked: LeakedTokensService) {}

  @Post('revoke-leaked')
  @Public()
  @UseGuards(LeakedReportLimit)
  @HttpCode(202)
  @ApiOperation({
    summary: 'Report leaked tokens: the working ones among them are revoked at once',
    description:
      'No credentials, no X-Workspace-Id: for secret scanners and whoever finds a token. ' +
      'API tokens, and OAuth access and refresh tokens (their whole grant), are revoked with ' +
      'reason leaked, audited and announced (token.leaked). The answer is the same whatever the ' +
      'strings were. Limited per client address (LEAKED_TOKEN_REPORT_LIMIT).',
  })
  @ApiAcceptedResponse({ type: LeakReportResponse })
  @ApiBadRequestResponse({
    description: 'validation_failed: not 1 to 1,000 strings of at most 200 characters',
    type: ApiErrorResponse,
  })
  @ApiPayloadTooLargeResponse({ description: 'payload_too_large', type: ApiErrorResponse })
  @ApiUnsupportedMediaTypeResponse({
    description: 'unsupported_media_type: the body is not JSON',
    type: ApiErrorResponse,
  })
  @ApiTooManyRequestsResponse({
    description: 'rate_limited: too many reports from this address',
    type: ApiErrorResponse,
    headers: {
      'Retry-After': { ...RATE_LIMIT_HEADER('Seconds to wait.'), required: true },
      'RateLimit-Limit': RATE_LIMIT_HEADER('Reports per window from one address.'),
      'RateLimit-Remaining': RATE_LIMIT_HEADER('Always 0 here.'),
      'RateLimit-Reset': RATE_LIMIT_HEADER('Seconds until the window starts over.'),
    },
  })
  revokeLeaked(
    @Body() dto: LeakReportRequest,
    @ReqMeta() meta: RequestMeta,
  ): Promise<LeakReportResponse> {
    return this.leaked.revokeLeaked(dto.tokens, meta);
  }
}
