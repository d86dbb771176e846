import { Controller, Get, Header, Inject, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { FastifyReply, FastifyRequest } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import { unauthorized } from '../auth/auth-errors';
import { Public } from '../auth/decorators/auth.decorator';
import { headerValue } from '../auth/request-context';
import { AppConfig, APP_CONFIG } from '../config/app-config';
import { Metrics } from './metrics.service';

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * GET /metrics (SPEC §11.7), registered only when METRICS_ENABLED=true (an unknown route, 404,
 * otherwise). Public in the Tessera sense: no user credential, but METRICS_TOKEN when it is set.
 * Not in the OpenAPI document: it is an operator's scrape target in Prometheus's text format,
 * not part of the JSON API, and exists only on instances that turn it on.
 */
@ApiExcludeController()
@Controller()
export class MetricsController {
  /** The token's digest: compared in constant time with the presented one's. */
  private readonly expected: Buffer | null;

  constructor(
    private readonly metrics: Metrics,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.expected = config.metrics.token === null ? null : digest(config.metrics.token);
  }

  @Get('metrics')
  @Public()
  @Header('Cache-Control', 'no-store')
  async scrape(
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    if (this.expected) {
      this.authorize(headerValue(request, 'authorization'));
    }
    const { contentType, body } = await this.metrics.exposition();
    void reply.type(contentType);
    return body;
  }

  private authorize(authorization: string | undefined): void {
    if (authorization === undefined) {
      throw unauthorized(
        'missing_credentials',
        'The metrics endpoint needs "Authorization: Bearer <METRICS_TOKEN>".',
      );
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!match || !timingSafeEqual(digest(match[1]), this.expected as Buffer)) {
      throw unauthorized('invalid_token', 'The metrics token is wrong; send METRICS_TOKEN.');
    }
  }
}
