import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import { AppConfig, APP_CONFIG } from '../config/app-config';
import { RateLimitStore } from '../rate-limit/rate-limit-store';
import { rateLimited } from '../rate-limit/rate-limit.errors';

/**
 * Leaked-token reports per client address (LEAKED_TOKEN_REPORT_LIMIT per
 * LEAKED_TOKEN_REPORT_WINDOW_SECONDS), in the rate-limit store every instance shares. Every
 * request counts, valid or not: the route is public and each report may cost a lookup.
 */
@Injectable()
export class LeakedReportLimit implements CanActivate {
  constructor(
    private readonly store: RateLimitStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const { leakedReports: limit, leakedReportsWindowMs: windowMs } = this.config.rateLimit;
    if (limit === 0) {
      return true;
    }
    const ip = context.switchToHttp().getRequest<FastifyRequest>().ip;
    const record = await this.store.increment(
      `leaked-report:ip:${ip}`,
      windowMs,
      limit,
      0,
      'leaked_report',
    );
    if (record.isBlocked) {
      throw rateLimited(
        limit,
        windowMs,
        record.timeToBlockExpire,
        'Too many leaked-token reports from this address',
      );
    }
    return true;
  }
}
