import { ExecutionContext, Inject, Injectable } from '@nestjs/common';
import {
  InjectThrottlerOptions,
  ThrottlerGuard,
  ThrottlerModuleOptions,
  ThrottlerRequest,
} from '@nestjs/throttler';
import { FastifyReply } from 'fastify';
import { AuthPrincipal } from '../auth/auth-types';
import { contextOf, TesseraRequest } from '../auth/request-context';
import { routeAccess } from '../auth/guards/authentication.guard';
import { AppConfig, APP_CONFIG } from '../config/app-config';
import { fixedMetadata } from '../common/metadata/fixed-metadata';
import { quotaExceeded, quotaHeaders, secondsUntil } from './quota';
import { QuotaLedger } from './quota-ledger';
import { RateBucket, RateLimitStore, StorageRecord } from './rate-limit-store';
import { rateLimited } from './rate-limit.errors';

/** The bucket a principal's requests count against: its token, else its user. */
function rateBucketOf(principal: AuthPrincipal): RateBucket {
  if (principal.tokenId) {
    return { kind: 'token', id: principal.tokenId };
  }
  if (principal.oauthTokenId) {
    return { kind: 'oauth', id: principal.oauthTokenId };
  }
  return { kind: 'user', id: principal.user.id };
}

/**
 * Third global guard (after authentication, before access): counts each authenticated request
 * against its token's limit — the token's own `rate_limit` or the instance default — and sends
 * the IETF `RateLimit-*` headers; past the limit, 429 `rate_limited` with `Retry-After`.
 * A token with a quota (SPEC §11.1) is charged for it in the same step (one store round trip):
 * `X-Quota-*` headers, and past the quota 429 `quota_exceeded` until its period ends. Public
 * routes are not counted, nor limits of 0.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    private readonly store: RateLimitStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly quotas: QuotaLedger,
  ) {
    super(options, store, fixedMetadata);
    this.headerPrefix = 'RateLimit';
  }

  protected override shouldSkip(context: ExecutionContext): Promise<boolean> {
    const principal = principalOf(context);
    return Promise.resolve(
      !principal ||
        (requestLimitFor(principal, this.config) === 0 && !principal.restrictions?.quota) ||
        // Revoking a token: nobody is ever kept from revoking a secret (SPEC §6).
        routeAccess(context)?.auth?.anyLimit === true,
    );
  }

  /**
   * The library resolves the limit and window per route; the charge is ours: one store call
   * for the rate limit and, for a token with a quota, its quota.
   */
  protected override async handleRequest(request: ThrottlerRequest): Promise<boolean> {
    const { context, limit, ttl } = request;
    const principal = principalOf(context);
    if (!principal) {
      return true; // shouldSkip let no request without a principal get here
    }
    const rate = limit > 0 ? { bucket: rateBucketOf(principal), ttlMs: ttl, limit } : null;
    const quota = principal.restrictions?.quota;
    if (!principal.tokenId || !quota) {
      const charged = await this.store.charge({ rate, quota: null });
      if (charged.rate) {
        this.applyRateRecord(
          context.switchToHttp().getResponse<FastifyReply>(),
          limit,
          ttl,
          charged.rate,
        );
      }
      return true;
    }
    const now = Date.now();
    const charged = await this.quotas.charge(principal.tokenId, quota, rate, now);
    const reset = secondsUntil(charged.window, now);
    if (charged.exceeded) {
      throw quotaExceeded(quota, reset);
    }
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    reply.headers(quotaHeaders(quota, charged.used, reset));
    if (charged.rate) {
      this.applyRateRecord(reply, limit, ttl, charged.rate);
    }
    return true;
  }

  /** The rate-limit half of a charge: headers, or 429 `rate_limited` past the limit. */
  private applyRateRecord(
    reply: FastifyReply,
    limit: number,
    ttl: number,
    record: StorageRecord,
  ): void {
    if (record.isBlocked) {
      throw rateLimited(
        limit,
        ttl,
        record.timeToBlockExpire,
        'Too many requests with this credential',
      );
    }
    reply.headers({
      'RateLimit-Limit': String(limit),
      'RateLimit-Remaining': String(Math.max(0, limit - record.totalHits)),
      'RateLimit-Reset': String(record.timeToExpire),
    });
  }
}

export function principalOf(context: ExecutionContext): AuthPrincipal | undefined {
  return contextOf(context.switchToHttp().getRequest<TesseraRequest>()).principal;
}

/** A token's own limit, else the instance default (0 = not limited). */
export function requestLimitFor(principal: AuthPrincipal | undefined, config: AppConfig): number {
  return principal?.rateLimit ?? config.rateLimit.requests;
}
