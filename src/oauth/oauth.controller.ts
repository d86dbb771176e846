import { Controller, Get, Headers, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../auth/decorators/auth.decorator';
import { OAuthDocs } from '../openapi/oauth-docs';
import { OAuthReply, OAuthService } from './oauth.service';
import { Metrics } from '../metrics/metrics.service';
import { OAUTH_ERROR_CODES } from './oauth-constants';

function send(reply: FastifyReply, result: OAuthReply): void {
  void reply.status(result.status).headers(result.headers).send(result.body);
}

/** The token endpoint's answers (RFC 6749 §5.2, and our 429), a fixed set of metric labels. */
const TOKEN_ERRORS: ReadonlySet<string> = new Set([...OAUTH_ERROR_CODES, 'rate_limited']);

/** `ok`, the OAuth error of a refusal, or `error` for anything outside the fixed set. */
export function tokenOutcome(result: OAuthReply): string {
  if (result.status === 200) {
    return 'ok';
  }
  const error = (result.body as { error?: unknown } | null)?.error;
  return typeof error === 'string' && TOKEN_ERRORS.has(error) ? error : 'error';
}

/** The OAuth2 protocol endpoints. They authenticate clients and tokens themselves (RFC 6749). */
@ApiTags('oauth')
@Controller()
export class OAuthController {
  constructor(
    private readonly oauth: OAuthService,
    private readonly metrics: Metrics,
  ) {}

  @Get('.well-known/oauth-authorization-server')
  @Public()
  @ApiOperation({ summary: 'Authorization server metadata (RFC 8414)' })
  @OAuthDocs.metadata()
  metadata(): Record<string, unknown> {
    return this.oauth.metadata();
  }

  @Post('oauth/token')
  @Public()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Token endpoint: authorization_code (with PKCE) and refresh_token grants',
    description:
      'application/x-www-form-urlencoded. Confidential clients authenticate with ' +
      'client_secret_basic or client_secret_post. Each refresh returns a new refresh token; ' +
      'reusing an old one revokes the whole grant.',
  })
  @OAuthDocs.token()
  async token(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const result = await this.oauth.token(req);
    // Client authentication and grants, counted as method `oauth_token` (SPEC §11.7).
    this.metrics.authOutcome('oauth_token', tokenOutcome(result));
    send(reply, result);
  }

  @Get('oauth/token/info')
  @Public()
  @ApiOperation({ summary: 'The access token in Authorization: Bearer, described (Doorkeeper)' })
  @OAuthDocs.tokenInfo()
  async tokenInfo(
    @Headers('authorization') authorization: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    send(reply, await this.oauth.tokenInfo(authorization));
  }

  @Post('oauth/revoke')
  @Public()
  @HttpCode(200)
  @ApiOperation({ summary: 'Revoke an access or refresh token and its grant (RFC 7009)' })
  @OAuthDocs.revoke()
  async revoke(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    send(reply, await this.oauth.revoke(req));
  }

  @Post('oauth/introspect')
  @Public()
  @HttpCode(200)
  @ApiOperation({ summary: 'Token introspection for the token’s own client (RFC 7662)' })
  @OAuthDocs.introspect()
  async introspect(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    send(reply, await this.oauth.introspect(req));
  }
}
